#pragma once
/// @brief What igbridge stores and delivers: the user record, the outbox
/// entry and the import record, with their encodings.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "igbridge/provider.hpp"

namespace igbridge {

/// One linked (or once-linked) app user; the `users` DB value.
struct user_record {
  std::string user;
  bool linked = false;
  std::string state = "unlinked"; // active | reauth_required | unlinked
  std::string instagram_user_id;
  std::string username;
  int64_t linked_at = 0;
  int64_t last_fetch_at = 0;
  int64_t next_fetch_at = 0;  // 0 = nothing scheduled
  int poll_tier = 0;          // index into import.poll_tiers_s
  uint64_t imported = 0;
  int64_t token_expires_at = 0; // 0 = never
  int64_t token_issued_at = 0;
  std::string last_error;
  std::string token;            // sealed ("v1.…") when storage.key is set, else plain
  bool initial_fetch_done = false;
  int fetch_failures = 0;       // consecutive; drives backoff
  std::vector<int64_t> recent_imports; // import times in the last 14 days
};

std::string encode(const user_record& r);
std::optional<user_record> decode_user(std::string_view bytes);
/// DESIGN §3 shape, times in RFC 3339; never the token.
nlohmann::json public_view(const user_record& r);

/// The import record every sink delivers (DESIGN §3).
nlohmann::json import_record(const std::string& app_user, const std::string& ig_user_id,
                             const media_item& m, int64_t imported_at);

/// A queued delivery; the `outbox` and `dead` DB value (key: seq_key(seq)).
struct outbox_entry {
  uint64_t seq = 0;
  std::string type = "media.imported"; // or "link.revoked"
  std::string id;                      // "instagram:<media id>" or event id
  std::string user;
  std::string data;                    // JSON text of the record
  int attempts = 0;
  int64_t created_at = 0;
  int64_t next_attempt_at = 0;
  std::string last_error;
};

std::string encode(const outbox_entry& e);
std::optional<outbox_entry> decode_outbox(std::string_view bytes);
nlohmann::json public_view(const outbox_entry& e);

/// `oauth_state` value: which app user started the flow and until when.
struct oauth_state {
  std::string user;
  int64_t expires_at = 0;
  std::string cookie; // random value the browser must present
};
std::string encode(const oauth_state& s);
std::optional<oauth_state> decode_oauth_state(std::string_view bytes);

/// `hints` value: a durable "fetch this user soon" left by a webhook.
struct hint {
  int64_t due_at = 0;      // earliest due time of all pending hints
  int64_t received_at = 0; // latest receipt; a fetch started after it covers it
};
std::string encode(const hint& h);
std::optional<hint> decode_hint(std::string_view bytes);

/// `seen` key: app user, NUL, media id.
std::string seen_key(std::string_view user, std::string_view media_id);

} // namespace igbridge
