#include "igbridge/records.hpp"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "igbridge/clock.hpp"

namespace igbridge {

using nlohmann::json;

namespace {

// Readers for decode: a missing key keeps the default (older records lack
// newer fields); a key of the wrong type makes the whole record unreadable.

bool read(const json& j, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end()) {
    return true;
  }
  if (!it->is_string()) {
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool read(const json& j, const char* key, bool& out) {
  auto it = j.find(key);
  if (it == j.end()) {
    return true;
  }
  if (!it->is_boolean()) {
    return false;
  }
  out = it->get<bool>();
  return true;
}

bool read(const json& j, const char* key, int64_t& out) {
  auto it = j.find(key);
  if (it == j.end()) {
    return true;
  }
  if (it->is_number_unsigned()) {
    if (it->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) {
      return false;
    }
    out = int64_t(it->get<uint64_t>());
    return true;
  }
  if (!it->is_number_integer()) {
    return false;
  }
  out = it->get<int64_t>();
  return true;
}

bool read(const json& j, const char* key, uint64_t& out) {
  auto it = j.find(key);
  if (it == j.end()) {
    return true;
  }
  if (!it->is_number_unsigned()) {
    return false;
  }
  out = it->get<uint64_t>();
  return true;
}

bool read(const json& j, const char* key, int& out) {
  int64_t v = out;
  if (!read(j, key, v) || v < std::numeric_limits<int>::min()
      || v > std::numeric_limits<int>::max()) {
    return false;
  }
  out = static_cast<int>(v);
  return true;
}

bool read(const json& j, const char* key, std::vector<int64_t>& out) {
  auto it = j.find(key);
  if (it == j.end()) {
    return true;
  }
  if (!it->is_array()) {
    return false;
  }
  std::vector<int64_t> v;
  for (const auto& e : *it) {
    if (!e.is_number_integer()) {
      return false;
    }
    v.push_back(e.get<int64_t>());
  }
  out = std::move(v);
  return true;
}

/// Parses an object, or nothing: never throws on bad bytes.
std::optional<json> parse_object(std::string_view bytes) {
  auto j = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return std::nullopt;
  }
  return j;
}

json time_or_null(int64_t t) {
  return t == 0 ? json(nullptr) : json(rfc3339(t));
}

/// Compact, and bytes that are not UTF-8 are replaced rather than throwing.
std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace

// -- user_record --------------------------------------------------------------

const char* to_string(user_state s) {
  switch (s) {
    case user_state::active:
      return "active";
    case user_state::reauth_required:
      return "reauth_required";
    case user_state::unlinked:
      return "unlinked";
  }
  return "unlinked";
}

std::optional<user_state> user_state_from(std::string_view s) {
  for (auto st : all_user_states) {
    if (s == to_string(st)) {
      return st;
    }
  }
  return std::nullopt;
}

const char* to_string(backfill_state s) {
  switch (s) {
    case backfill_state::none:
      return "";
    case backfill_state::running:
      return "running";
    case backfill_state::done:
      return "done";
    case backfill_state::failed:
      return "failed";
  }
  return "";
}

std::optional<backfill_state> backfill_state_from(std::string_view s) {
  for (auto st : {backfill_state::running, backfill_state::done, backfill_state::failed}) {
    if (s == to_string(st)) {
      return st;
    }
  }
  return std::nullopt;
}

namespace {

json rules_json(const std::optional<user_rules>& r) {
  if (!r) {
    return nullptr;
  }
  json j{{"tags", r->tags}, {"block", r->block}};
  // Written only when set, so rules stored before them read the same.
  if (!r->require.empty()) {
    j["require"] = r->require;
  }
  if (!r->since.empty()) {
    j["since"] = r->since;
  }
  if (!r->until.empty()) {
    j["until"] = r->until;
  }
  return j;
}

bool read_strings(const json& j, const char* key, std::vector<std::string>& out) {
  auto it = j.find(key);
  if (it == j.end()) {
    return true;
  }
  if (!it->is_array()) {
    return false;
  }
  std::vector<std::string> v;
  for (const auto& e : *it) {
    if (!e.is_string()) {
      return false;
    }
    v.push_back(e.get<std::string>());
  }
  out = std::move(v);
  return true;
}

json backfill_json(const backfill_progress& b) {
  if (b.state == backfill_state::none) {
    return nullptr;
  }
  return json{{"state", to_string(b.state)}, {"since", b.since},
              {"started_at", b.started_at},    {"scanned", b.scanned},
              {"imported", b.imported},        {"last_error", b.last_error}};
}

bool read_backfill(const json& j, backfill_progress& out) {
  auto it = j.find("backfill");
  if (it == j.end() || it->is_null()) {
    return true;
  }
  std::string state;
  if (!it->is_object() || !read(*it, "state", state) || !read(*it, "since", out.since)
      || !read(*it, "started_at", out.started_at) || !read(*it, "scanned", out.scanned)
      || !read(*it, "imported", out.imported) || !read(*it, "last_error", out.last_error)) {
    return false;
  }
  auto st = backfill_state_from(state);
  out.state = st.value_or(backfill_state::none);
  return st.has_value();
}

bool read_rules(const json& j, std::optional<user_rules>& out) {
  auto it = j.find("rules");
  if (it == j.end() || it->is_null()) {
    return true;
  }
  if (!it->is_object()) {
    return false;
  }
  user_rules r;
  if (!read_strings(*it, "tags", r.tags) || !read_strings(*it, "block", r.block)
      || !read_strings(*it, "require", r.require) || !read(*it, "since", r.since)
      || !read(*it, "until", r.until)) {
    return false;
  }
  out = std::move(r);
  return true;
}

} // namespace

std::string encode(const user_record& r) {
  json j{
    {"user", r.user},
    {"state", to_string(r.state)},
    {"instagram_user_id", r.instagram_user_id},
    {"app_scoped_id", r.app_scoped_id},
    {"username", r.username},
    {"linked_at", r.linked_at},
    {"last_fetch_at", r.last_fetch_at},
    {"next_fetch_at", r.next_fetch_at},
    {"refresh_at", r.refresh_at},
    {"scheduled_at", r.scheduled_at},
    {"poll_tier", r.poll_tier},
    {"imported", r.imported},
    {"token_expires_at", r.token_expires_at},
    {"token_issued_at", r.token_issued_at},
    {"last_error", r.last_error},
    {"token", r.token},
    {"initial_fetch_done", r.initial_fetch_done},
    {"fetch_failures", r.fetch_failures},
    {"held_until", r.held_until},
    {"refresh_failures", r.refresh_failures},
    {"expiring_sent_at", r.expiring_sent_at},
    {"seen_count", r.seen_count},
    {"recent_imports", r.recent_imports},
    {"rules", rules_json(r.rules)},
    {"backfill", backfill_json(r.backfill)},
  };
  return dump(j);
}

std::optional<user_record> decode_user(std::string_view bytes) {
  auto j = parse_object(bytes);
  if (!j || !j->contains("user")) {
    return std::nullopt;
  }
  user_record r;
  std::string state = "unlinked";
  bool ok = read(*j, "user", r.user) && read(*j, "state", state)
            && read(*j, "instagram_user_id", r.instagram_user_id)
            && read(*j, "app_scoped_id", r.app_scoped_id)
            && read(*j, "username", r.username) && read(*j, "linked_at", r.linked_at)
            && read(*j, "last_fetch_at", r.last_fetch_at)
            && read(*j, "next_fetch_at", r.next_fetch_at)
            && read(*j, "refresh_at", r.refresh_at)
            && read(*j, "scheduled_at", r.scheduled_at) && read(*j, "poll_tier", r.poll_tier)
            && read(*j, "imported", r.imported)
            && read(*j, "token_expires_at", r.token_expires_at)
            && read(*j, "token_issued_at", r.token_issued_at)
            && read(*j, "last_error", r.last_error) && read(*j, "token", r.token)
            && read(*j, "initial_fetch_done", r.initial_fetch_done)
            && read(*j, "fetch_failures", r.fetch_failures)
            && read(*j, "held_until", r.held_until)
            && read(*j, "refresh_failures", r.refresh_failures)
            && read(*j, "expiring_sent_at", r.expiring_sent_at)
            && read(*j, "seen_count", r.seen_count)
            && read(*j, "recent_imports", r.recent_imports) && read_rules(*j, r.rules)
            && read_backfill(*j, r.backfill);
  auto st = user_state_from(state);
  if (!ok || !st) {
    return std::nullopt;
  }
  r.state = *st;
  return r;
}

json public_view(const user_record& r) {
  return json{
    {"user", r.user},
    {"linked", r.linked()},
    {"state", to_string(r.state)},
    {"instagram_user_id", r.instagram_user_id},
    {"app_scoped_id", r.app_scoped_id},
    {"username", r.username},
    {"linked_at", time_or_null(r.linked_at)},
    {"last_fetch_at", time_or_null(r.last_fetch_at)},
    {"next_fetch_at", time_or_null(r.next_fetch_at)},
    {"poll_tier", r.poll_tier},
    {"imported", r.imported},
    {"token_expires_at", time_or_null(r.token_expires_at)},
    {"held_until", time_or_null(r.held_until)},
    {"fetch_failures", r.fetch_failures},
    {"last_error", r.last_error},
    {"rules", rules_json(r.rules)},
    {"backfill", r.backfill.state == backfill_state::none
                   ? json(nullptr)
                   : json{{"state", to_string(r.backfill.state)},
                          {"since", time_or_null(r.backfill.since)},
                          {"started_at", time_or_null(r.backfill.started_at)},
                          {"scanned", r.backfill.scanned},
                          {"imported", r.backfill.imported},
                          {"last_error", r.backfill.last_error}}},
  };
}

int64_t own_due(const user_record& r) {
  int64_t due = r.next_fetch_at;
  if (r.refresh_at != 0 && (due == 0 || r.refresh_at < due)) {
    due = r.refresh_at;
  }
  return due;
}

// -- seen ---------------------------------------------------------------------

const char* to_string(verdict v) {
  switch (v) {
    case verdict::imported:
      return "imported";
    case verdict::untagged:
      return "untagged";
    case verdict::blocked:
      return "blocked";
  }
  return "untagged";
}

namespace {

void put_be64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out.push_back(static_cast<char>((v >> (i * 8)) & 0xff));
  }
}

uint64_t get_be64(std::string_view in) {
  uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<uint8_t>(in[i]);
  }
  return v;
}

} // namespace

std::string encode(const seen_entry& e) {
  std::string out;
  out.reserve(25);
  put_be64(out, static_cast<uint64_t>(e.first_seen));
  put_be64(out, static_cast<uint64_t>(e.taken_at));
  out.push_back(static_cast<char>(e.judged));
  put_be64(out, e.caption_hash);
  return out;
}

std::optional<seen_entry> decode_seen(std::string_view bytes) {
  if (bytes.size() != 25 || static_cast<uint8_t>(bytes[16]) > 2) {
    return std::nullopt;
  }
  seen_entry e;
  e.first_seen = static_cast<int64_t>(get_be64(bytes.substr(0, 8)));
  e.taken_at = static_cast<int64_t>(get_be64(bytes.substr(8, 8)));
  e.judged = static_cast<verdict>(bytes[16]);
  e.caption_hash = get_be64(bytes.substr(17, 8));
  return e;
}

uint64_t caption_hash(std::string_view caption) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : caption) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string seen_order_key(std::string_view user, int64_t taken_at, std::string_view media_id) {
  std::string k;
  k.reserve(user.size() + 9 + media_id.size());
  k.append(user).push_back('\0');
  put_be64(k, static_cast<uint64_t>(std::max<int64_t>(taken_at, 0)));
  k.append(media_id);
  return k;
}

std::string time_key(int64_t t) {
  std::string k;
  put_be64(k, static_cast<uint64_t>(std::max<int64_t>(t, 0)));
  return k;
}

std::string when_key(int64_t at, std::string_view user) {
  auto k = time_key(at);
  k.append(user);
  return k;
}

std::optional<std::pair<int64_t, std::string>> split_when_key(std::string_view key) {
  if (key.size() < 8) {
    return std::nullopt;
  }
  return std::make_pair(static_cast<int64_t>(get_be64(key.substr(0, 8))),
                        std::string(key.substr(8)));
}

std::string due_key(int64_t at, uint64_t seq) {
  auto k = time_key(at);
  put_be64(k, seq);
  return k;
}

// -- import record ------------------------------------------------------------

json import_record(const std::string& app_user, const std::string& ig_user_id,
                   const media_item& m, int64_t imported_at) {
  json j{
    {"id", "instagram:" + m.id},
    {"user", app_user},
    {"instagram_user_id", ig_user_id},
    {"media_id", m.id},
    {"caption", m.caption},
    {"tags", m.tags},
    {"media_type", m.media_type},
    {"media_url", m.media_url},
    {"permalink", m.permalink},
    {"taken_at", m.taken_at},
    {"imported_at", rfc3339(imported_at)},
  };
  // Videos carry a still image; other media have none, so the key is absent.
  if (!m.thumbnail_url.empty()) {
    j["thumbnail_url"] = m.thumbnail_url;
  }
  // A carousel's images and videos, in order.
  if (!m.children.empty()) {
    auto children = json::array();
    for (const auto& c : m.children) {
      json child{{"id", c.id}, {"media_type", c.media_type}, {"media_url", c.media_url}};
      if (!c.thumbnail_url.empty()) {
        child["thumbnail_url"] = c.thumbnail_url;
      }
      children.push_back(std::move(child));
    }
    j["children"] = std::move(children);
  }
  return j;
}

// -- outbox_entry -------------------------------------------------------------

// Every import is written once and read at least once on its way out, with
// its record (JSON text) inside: as a JSON field that text was escaped on
// the way in and unescaped on the way out. So an outbox entry is a format
// byte, four big-endian 64-bit fields (seq, attempts, created_at,
// next_attempt_at) and five strings each behind a big-endian 32-bit length
// (type, id, user, data, last_error). The byte is one no JSON text starts
// with: entries queued as JSON by earlier versions are still read.
namespace {

constexpr char outbox_format = '\x01';

void put_text(std::string& out, std::string_view text) {
  auto n = static_cast<uint32_t>(text.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  }
  out.append(text);
}

/// Reads one length-prefixed string at `at`, moving `at` past it.
bool get_text(std::string_view in, std::size_t& at, std::string& out) {
  if (in.size() - at < 4) {
    return false;
  }
  uint32_t n = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    n = (n << 8) | static_cast<uint8_t>(in[at + i]);
  }
  at += 4;
  if (in.size() - at < n) {
    return false;
  }
  out.assign(in.substr(at, n));
  at += n;
  return true;
}

std::optional<outbox_entry> decode_json_outbox(std::string_view bytes) {
  auto j = parse_object(bytes);
  if (!j || !j->contains("id")) {
    return std::nullopt;
  }
  outbox_entry e;
  std::string type = to_string(e.type);
  bool ok = read(*j, "seq", e.seq) && read(*j, "type", type) && read(*j, "id", e.id)
            && read(*j, "user", e.user) && read(*j, "data", e.data)
            && read(*j, "attempts", e.attempts) && read(*j, "created_at", e.created_at)
            && read(*j, "next_attempt_at", e.next_attempt_at)
            && read(*j, "last_error", e.last_error);
  auto kind = event_type_from(type);
  if (!ok || !kind) {
    return std::nullopt;
  }
  e.type = *kind;
  return e;
}

} // namespace

const char* to_string(event_type t) {
  switch (t) {
    case event_type::media_imported:
      return "media.imported";
    case event_type::media_updated:
      return "media.updated";
    case event_type::media_deleted:
      return "media.deleted";
    case event_type::account_linked:
      return "account.linked";
    case event_type::account_needs_relink:
      return "account.needs_relink";
    case event_type::account_unlinked:
      return "account.unlinked";
    case event_type::account_deleted:
      return "account.deleted";
    case event_type::link_revoked:
      return "link.revoked";
    case event_type::test:
      return "test";
  }
  return "media.imported";
}

std::optional<event_type> event_type_from(std::string_view s) {
  for (auto t : all_event_types) {
    if (s == to_string(t)) {
      return t;
    }
  }
  return std::nullopt;
}

const char* to_string(deletion_status s) {
  return s == deletion_status::completed ? "completed" : "in_progress";
}

std::string encode(const outbox_entry& e) {
  std::string out;
  const std::string type = to_string(e.type); // as text: an entry outlives a renumbered enum
  out.reserve(1 + 4 * 8 + 5 * 4 + type.size() + e.id.size() + e.user.size() + e.data.size()
              + e.last_error.size());
  out.push_back(outbox_format);
  put_be64(out, e.seq);
  put_be64(out, static_cast<uint64_t>(static_cast<int64_t>(e.attempts)));
  put_be64(out, static_cast<uint64_t>(e.created_at));
  put_be64(out, static_cast<uint64_t>(e.next_attempt_at));
  for (const auto* text : {&type, &e.id, &e.user, &e.data, &e.last_error}) {
    put_text(out, *text);
  }
  return out;
}

std::optional<outbox_entry> decode_outbox(std::string_view bytes) {
  if (bytes.empty() || bytes[0] != outbox_format) {
    return decode_json_outbox(bytes);
  }
  constexpr std::size_t fixed = 1 + 4 * 8;
  if (bytes.size() < fixed) {
    return std::nullopt;
  }
  outbox_entry e;
  e.seq = get_be64(bytes.substr(1, 8));
  auto attempts = static_cast<int64_t>(get_be64(bytes.substr(9, 8)));
  e.created_at = static_cast<int64_t>(get_be64(bytes.substr(17, 8)));
  e.next_attempt_at = static_cast<int64_t>(get_be64(bytes.substr(25, 8)));
  if (attempts < 0 || attempts > std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  e.attempts = static_cast<int>(attempts);
  std::size_t at = fixed;
  std::string type;
  for (auto* text : {&type, &e.id, &e.user, &e.data, &e.last_error}) {
    if (!get_text(bytes, at, *text)) {
      return std::nullopt;
    }
  }
  auto kind = event_type_from(type);
  if (at != bytes.size() || !kind) {
    return std::nullopt;
  }
  e.type = *kind;
  return e;
}

json public_view(const outbox_entry& e) {
  auto data = json::parse(e.data, nullptr, false);
  if (data.is_discarded()) {
    data = nullptr;
  }
  return json{
    {"id", std::to_string(e.seq)},
    {"type", to_string(e.type)},
    {"record_id", e.id},
    {"user", e.user},
    {"attempts", e.attempts},
    {"created_at", time_or_null(e.created_at)},
    {"next_attempt_at", time_or_null(e.next_attempt_at)},
    {"last_error", e.last_error},
    {"data", std::move(data)},
  };
}

// -- oauth_state, hint, deletion ---------------------------------------------------

std::string encode(const oauth_state& s) {
  return dump(json{{"user", s.user},
                   {"expires_at", s.expires_at},
                   {"created_at", s.created_at},
                   {"cookie", s.cookie}});
}

std::optional<oauth_state> decode_oauth_state(std::string_view bytes) {
  auto j = parse_object(bytes);
  if (!j || !j->contains("user")) {
    return std::nullopt;
  }
  oauth_state s;
  if (!read(*j, "user", s.user) || !read(*j, "expires_at", s.expires_at)
      || !read(*j, "created_at", s.created_at) || !read(*j, "cookie", s.cookie)) {
    return std::nullopt;
  }
  return s;
}

// A hint is written for every webhook, so it is three fixed fields rather
// than JSON (which cost the writer a DOM and a dozen allocations to read and
// write again): a format byte, then first_due, last_due and received_at as
// big-endian 64-bit integers. The byte is one no JSON text starts with, so
// hints written as JSON by earlier versions are still read; they are
// rewritten in this form the next time their user is hinted.
namespace {

constexpr char hint_format = '\x01';
constexpr std::size_t hint_size = 1 + 3 * 8;
/// Schema 4: the queue entry's time is kept in the hint.
constexpr char hint_format_queued = '\x02';
constexpr std::size_t hint_queued_size = 1 + 4 * 8;

std::optional<hint> decode_json_hint(std::string_view bytes) {
  auto j = parse_object(bytes);
  if (!j || !j->contains("first_due")) {
    return std::nullopt;
  }
  hint h;
  if (!read(*j, "first_due", h.first_due) || !read(*j, "last_due", h.last_due)
      || !read(*j, "received_at", h.received_at)) {
    return std::nullopt;
  }
  return h;
}

} // namespace

std::string encode(const hint& h) {
  std::string out;
  out.reserve(hint_queued_size);
  out.push_back(hint_format_queued);
  put_be64(out, static_cast<uint64_t>(h.first_due));
  put_be64(out, static_cast<uint64_t>(h.last_due));
  put_be64(out, static_cast<uint64_t>(h.received_at));
  put_be64(out, static_cast<uint64_t>(h.queued_at));
  return out;
}

std::optional<hint> decode_hint(std::string_view bytes) {
  if (bytes.empty() || (bytes[0] != hint_format && bytes[0] != hint_format_queued)) {
    return decode_json_hint(bytes);
  }
  auto size = bytes[0] == hint_format ? hint_size : hint_queued_size;
  if (bytes.size() != size) {
    return std::nullopt;
  }
  hint h;
  h.first_due = static_cast<int64_t>(get_be64(bytes.substr(1, 8)));
  h.last_due = static_cast<int64_t>(get_be64(bytes.substr(9, 8)));
  h.received_at = static_cast<int64_t>(get_be64(bytes.substr(17, 8)));
  if (size == hint_queued_size) {
    h.queued_at = static_cast<int64_t>(get_be64(bytes.substr(25, 8)));
  }
  return h;
}

int64_t hint_fetch_at(const hint& h, int64_t delay_s) {
  return std::min(h.last_due, h.first_due + delay_s);
}

hint add_hint(std::optional<hint> h, int64_t now, int64_t delay_s) {
  auto due = now + delay_s;
  if (!h) {
    return hint{due, due, now};
  }
  h->first_due = std::min(h->first_due, due);
  h->last_due = std::max(h->last_due, due);
  h->received_at = std::max(h->received_at, now);
  return *h;
}

std::optional<hint> after_fetch(const hint& h, int64_t started) {
  if (h.last_due <= started) {
    return std::nullopt;
  }
  // Only the ones due after the start are left; their earliest is not
  // kept, but it is later than the start.
  hint left = h;
  left.first_due = std::max(h.first_due, started + 1);
  return left;
}

std::string encode(const deletion_record& d) {
  return dump(json{{"status", to_string(d.status)},
                   {"instagram_user_id", d.instagram_user_id},
                   {"users", d.users},
                   {"requested_at", d.requested_at},
                   {"completed_at", d.completed_at}});
}

std::optional<deletion_record> decode_deletion(std::string_view bytes) {
  auto j = parse_object(bytes);
  if (!j || !j->contains("status")) {
    return std::nullopt;
  }
  deletion_record d;
  std::string status;
  if (!read(*j, "status", status) || !read(*j, "instagram_user_id", d.instagram_user_id)
      || !read(*j, "users", d.users) || !read(*j, "requested_at", d.requested_at)
      || !read(*j, "completed_at", d.completed_at)
      || (status != "completed" && status != "in_progress")) {
    return std::nullopt;
  }
  d.status = status == "completed" ? deletion_status::completed : deletion_status::in_progress;
  return d;
}

json public_view(const deletion_record& d, const std::string& code) {
  return json{{"confirmation_code", code},
              {"status", to_string(d.status)},
              {"users", d.users},
              {"requested_at", time_or_null(d.requested_at)},
              {"completed_at", time_or_null(d.completed_at)}};
}

std::string seen_key(std::string_view user, std::string_view media_id) {
  std::string k;
  k.reserve(user.size() + 1 + media_id.size());
  k.append(user).push_back('\0');
  k.append(media_id);
  return k;
}

} // namespace igbridge
