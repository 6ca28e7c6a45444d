// Building the account events the host hears of, as outbox entries.

#include "user/account_events.hpp"

#include <nlohmann/json.hpp>

#include "igbridge/clock.hpp"

namespace igbridge {

outbox_entry revoked_event(const std::string& user, const std::string& ig_user_id,
                           const std::string& reason, int64_t now) {
  outbox_entry e;
  e.type = event_type::link_revoked;
  e.id = "link.revoked:" + user + ":" + std::to_string(now);
  e.user = user;
  e.created_at = now;
  e.next_attempt_at = now;
  nlohmann::json data{{"id", e.id},
                      {"user", user},
                      {"instagram_user_id", ig_user_id},
                      {"reason", reason},
                      {"revoked_at", rfc3339(now)}};
  e.data = data.dump();
  return e;
}

} // namespace igbridge
