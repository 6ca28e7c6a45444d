#pragma once
// The events igbridge queues for the host app besides imports.

#include <cstdint>
#include <string>

#include "igbridge/records.hpp"

namespace igbridge {

/// A link.revoked event for `user`; `reason` is safe to deliver.
outbox_entry revoked_event(const std::string& user, const std::string& ig_user_id,
                           const std::string& reason, int64_t now);

} // namespace igbridge
