// Building the account events the host hears of, as outbox entries.

#include "user/account_events.hpp"

#include <nlohmann/json.hpp>

#include "igbridge/clock.hpp"
#include "igbridge/crypto.hpp"

namespace igbridge {

std::string event_id(const char* type, const std::string& subject, int64_t now) {
  // Two events of one kind can share a second (a relink right after an
  // unlink): a random part keeps each id its own. It is stored with the
  // entry, so a redelivery repeats it.
  return std::string(type) + ":" + subject + ":" + std::to_string(now) + ":"
         + random_token().substr(0, 8);
}

outbox_entry revoked_event(const std::string& user, const std::string& ig_user_id,
                           const std::string& reason, int64_t now) {
  outbox_entry e;
  e.type = event_type::link_revoked;
  e.id = event_id("link.revoked", user, now);
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

outbox_entry account_event(event_type type, const user_record& rec, int64_t now,
                           const std::vector<std::pair<std::string, std::string>>& extra) {
  outbox_entry e;
  e.type = type;
  e.id = event_id(to_string(type), rec.user, now);
  e.user = rec.user;
  e.created_at = now;
  e.next_attempt_at = now;
  // Ordered as docs/events.md shows them.
  nlohmann::ordered_json data{{"user", rec.user},
                              {"instagram_user_id", rec.instagram_user_id},
                              {"username", rec.username},
                              {"at", rfc3339(now)}};
  for (const auto& [k, v] : extra) {
    data[k] = v;
  }
  e.data = data.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return e;
}

const char* relink_reason(const std::string& revoked_reason) {
  if (revoked_reason == "permission") {
    return "permissions";
  }
  if (revoked_reason == "refresh_failed") {
    return "expired";
  }
  return "revoked";
}

} // namespace igbridge
