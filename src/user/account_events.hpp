#pragma once
// The events igbridge queues for the host app besides imports: the
// account's life (DESIGN §9) and the deprecated link.revoked kept beside it
// for one release.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "igbridge/records.hpp"

namespace igbridge {

/// A link.revoked event for `user`; `reason` is safe to deliver.
outbox_entry revoked_event(const std::string& user, const std::string& ig_user_id,
                           const std::string& reason, int64_t now);

/// A new event's id: "<type>:<subject>:<unix time>:<random>", unique per
/// event, repeated only when the event is delivered again.
std::string event_id(const char* type, const std::string& subject, int64_t now);

/// An account event (account.linked, .needs_relink, .unlinked, .deleted)
/// of `rec`'s user: user, instagram_user_id, username, at, then `extra`
/// (reason, permission, by, confirmation_code). Its event id names the
/// type, the user and the time.
outbox_entry account_event(event_type type, const user_record& rec, int64_t now,
                           const std::vector<std::pair<std::string, std::string>>& extra = {});

/// Today's link.revoked reason as account.needs_relink's (DESIGN §9):
/// token_invalid → revoked, permission → permissions, refresh_failed →
/// expired.
const char* relink_reason(const std::string& revoked_reason);

} // namespace igbridge
