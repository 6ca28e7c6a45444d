#pragma once
/// @brief What igbridge stores and delivers: the user record, the seen
/// entry, the outbox entry, hints, OAuth states and deletion records, with
/// their encodings. tables.hpp pairs each with its database.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "igbridge/provider.hpp"

namespace igbridge {

// -- user ----------------------------------------------------------------------

enum class user_state : uint8_t { unlinked, active, reauth_required };
const char* to_string(user_state s);
std::optional<user_state> user_state_from(std::string_view s);
constexpr user_state all_user_states[] = {user_state::active, user_state::reauth_required,
                                          user_state::unlinked};

/// Per-user import rules; a user without them uses import.tags/import.block.
struct user_rules {
  std::vector<std::string> tags;    // normalized; any of them
  std::vector<std::string> block;   // normalized; none of them
  std::vector<std::string> require; // normalized; all of them
  std::string since, until;         // "YYYY-MM-DD" on the post's timestamp (UTC); "" = open
};

/// Where a user's walk back through its history stands; `none`: it never ran.
enum class backfill_state : uint8_t { none, running, done, failed };
const char* to_string(backfill_state s);
std::optional<backfill_state> backfill_state_from(std::string_view s);

/// A walk back through the account's history (DESIGN §9, "Rules and
/// backfill"): what it looked at and imported so far.
struct backfill_progress {
  backfill_state state = backfill_state::none;
  int64_t since = 0;     // posts taken before this are left alone (0: none)
  int64_t started_at = 0;
  uint64_t scanned = 0;
  uint64_t imported = 0;
  std::string last_error;
};

/// One linked (or once-linked) app user; the `users` DB value.
struct user_record {
  std::string user;
  user_state state = user_state::unlinked;
  std::string instagram_user_id; // the professional account id webhooks carry
  std::string app_scoped_id;     // graph: the app-scoped id of /me and signed_requests
  std::string username;
  int64_t linked_at = 0;
  int64_t last_fetch_at = 0;
  int64_t next_fetch_at = 0;  // next poll or retry; 0 = nothing planned
  int64_t refresh_at = 0;     // next token refresh attempt; 0 = none
  int64_t scheduled_at = 0;   // the key this user holds in the schedule index; 0 = none
  int poll_tier = 0;          // index into import.poll_tiers_s
  uint64_t imported = 0;
  int64_t token_expires_at = 0; // 0 = never
  int64_t token_issued_at = 0;
  std::string last_error;
  std::string token;            // sealed ("v1.…") when storage.key is set, else plain
  bool initial_fetch_done = false;
  int fetch_failures = 0;       // consecutive; drives backoff
  int64_t held_until = 0;       // the provider's per-account rate limit holds it until then
  int refresh_failures = 0;     // consecutive failed token refreshes
  int64_t expiring_sent_at = 0; // account.needs_relink (expiring) queued then; 0 = not yet
  uint64_t seen_count = 0;      // entries of this user in `seen`
  std::vector<int64_t> recent_imports; // import times in the last 14 days
  std::optional<user_rules> rules;
  backfill_progress backfill;

  bool linked() const { return state == user_state::active; }
};

std::string encode(const user_record& r);
std::optional<user_record> decode_user(std::string_view bytes);
/// DESIGN §3 shape, times in RFC 3339; never the token.
nlohmann::json public_view(const user_record& r);

/// The earliest of a user's own plans (poll/retry, token refresh); 0 = none.
int64_t own_due(const user_record& r);

// -- seen ------------------------------------------------------------------------

enum class verdict : uint8_t { imported, untagged, blocked };
const char* to_string(verdict v);

/// A media id the user's fetches have looked at.
struct seen_entry {
  int64_t first_seen = 0;
  int64_t taken_at = 0;        // unix seconds; first_seen when the provider gave none
  verdict judged = verdict::untagged;
  uint64_t caption_hash = 0;   // a changed caption makes a provisional verdict worth redoing
};
std::string encode(const seen_entry& e);
std::optional<seen_entry> decode_seen(std::string_view bytes);
/// 64-bit FNV-1a of the caption: equality only, never security.
uint64_t caption_hash(std::string_view caption);

/// `seen` key: app user, NUL, media id.
std::string seen_key(std::string_view user, std::string_view media_id);
/// `seen_order` key: app user, NUL, big-endian taken_at, media id.
std::string seen_order_key(std::string_view user, int64_t taken_at, std::string_view media_id);

// -- import record ---------------------------------------------------------------

/// One stored copy of a post's media (DESIGN §8 "Media the host keeps").
struct stored_media {
  std::string type; // IMAGE | VIDEO
  std::string url;
  std::string sha256;
  std::string content_type;
  uint64_t bytes = 0;
};

/// The import record every sink delivers (DESIGN §3).
nlohmann::json import_record(const std::string& app_user, const std::string& ig_user_id,
                             const media_item& m, int64_t imported_at);

// -- outbox ------------------------------------------------------------------------

/// What an outbox entry tells the host (its `type` on the wire, DESIGN §9
/// "Events"; docs/events.md shows each).
enum class event_type : uint8_t {
  media_imported,       // the import record
  media_updated,        // the record with new values, `previous` the changed fields' old ones
  media_deleted,        // {id, user, instagram_user_id, media_id, permalink, deleted_at}
  account_linked,       // {user, instagram_user_id, username, at}
  account_needs_relink, // {..., reason: revoked|permissions|expired|expiring, permission?}
  account_unlinked,     // {..., by: admin|deauthorize}
  account_deleted,      // {..., confirmation_code}
  link_revoked,         // deprecated: today's event beside the account ones, for one release
  test,                 // `igbridge sink test`
};
/// Every event type, for lookups and tests.
constexpr event_type all_event_types[] = {
  event_type::media_imported,       event_type::media_updated,    event_type::media_deleted,
  event_type::account_linked,       event_type::account_needs_relink,
  event_type::account_unlinked,     event_type::account_deleted,  event_type::link_revoked,
  event_type::test};
const char* to_string(event_type t);
std::optional<event_type> event_type_from(std::string_view s);

/// A queued delivery; the `outbox` and `dead` DB value.
struct outbox_entry {
  uint64_t seq = 0;
  event_type type = event_type::media_imported;
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
/// `outbox_due` key: big-endian next attempt time, then big-endian seq.
std::string due_key(int64_t at, uint64_t seq);

// -- OAuth states --------------------------------------------------------------------

/// `oauth_state` value: which app user started the flow and until when.
struct oauth_state {
  std::string user;
  int64_t expires_at = 0;
  int64_t created_at = 0;
  std::string cookie; // random value the browser must present
};
std::string encode(const oauth_state& s);
std::optional<oauth_state> decode_oauth_state(std::string_view bytes);

// -- hints ------------------------------------------------------------------------------

/// `hints` value: pending webhook hints of one user, folded. Each hint is
/// due `import.webhook_delay_s` after it arrived and is discharged only by
/// a fetch that starts at or after that.
struct hint {
  int64_t first_due = 0;   // earliest due time of the pending hints
  int64_t last_due = 0;    // latest due time of the pending hints
  int64_t received_at = 0; // latest receipt
  int64_t queued_at = 0;   // the time of its entry in the inbox queue (schema 4; 0 before)
};
std::string encode(const hint& h);
std::optional<hint> decode_hint(std::string_view bytes);

/// When to fetch for pending hints: the latest due time, so a burst is one
/// fetch, but never later than one delay after the first was due, so a
/// steady stream of hints cannot postpone the fetch for ever.
int64_t hint_fetch_at(const hint& h, int64_t delay_s);
/// Folds a hint arriving at `now` into `h` (fresh when `h` is empty).
hint add_hint(std::optional<hint> h, int64_t now, int64_t delay_s);
/// What is left of `h` after a fetch that started at `started`: nothing
/// when every pending hint was due by then.
std::optional<hint> after_fetch(const hint& h, int64_t started);

// -- data deletion ----------------------------------------------------------------------

/// How far a data-deletion request got.
enum class deletion_status : uint8_t { in_progress, completed };
const char* to_string(deletion_status s);

/// `deletions` value: one data-deletion request and how far it got.
struct deletion_record {
  deletion_status status = deletion_status::in_progress;
  std::string instagram_user_id;
  uint64_t users = 0;
  int64_t requested_at = 0;
  int64_t completed_at = 0;
};
std::string encode(const deletion_record& d);
std::optional<deletion_record> decode_deletion(std::string_view bytes);
nlohmann::json public_view(const deletion_record& d, const std::string& code);

// -- keys ------------------------------------------------------------------------------

/// Big-endian 8 bytes of a time, so keys sort by time (negative clamps to 0).
std::string time_key(int64_t t);
/// `schedule` / `hint_due` key: big-endian time, then the app user.
std::string when_key(int64_t at, std::string_view user);
/// The parts of a when_key; nullopt when it is shorter than 8 bytes.
std::optional<std::pair<int64_t, std::string>> split_when_key(std::string_view key);

} // namespace igbridge
