#include "igbridge/records.hpp"

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

std::string encode(const user_record& r) {
  json j{
    {"user", r.user},
    {"linked", r.linked},
    {"state", r.state},
    {"instagram_user_id", r.instagram_user_id},
    {"username", r.username},
    {"linked_at", r.linked_at},
    {"last_fetch_at", r.last_fetch_at},
    {"next_fetch_at", r.next_fetch_at},
    {"poll_tier", r.poll_tier},
    {"imported", r.imported},
    {"token_expires_at", r.token_expires_at},
    {"token_issued_at", r.token_issued_at},
    {"last_error", r.last_error},
    {"token", r.token},
    {"initial_fetch_done", r.initial_fetch_done},
    {"fetch_failures", r.fetch_failures},
    {"recent_imports", r.recent_imports},
  };
  return dump(j);
}

std::optional<user_record> decode_user(std::string_view bytes) {
  auto j = parse_object(bytes);
  if (!j || !j->contains("user")) {
    return std::nullopt;
  }
  user_record r;
  bool ok = read(*j, "user", r.user) && read(*j, "linked", r.linked)
            && read(*j, "state", r.state) && read(*j, "instagram_user_id", r.instagram_user_id)
            && read(*j, "username", r.username) && read(*j, "linked_at", r.linked_at)
            && read(*j, "last_fetch_at", r.last_fetch_at)
            && read(*j, "next_fetch_at", r.next_fetch_at) && read(*j, "poll_tier", r.poll_tier)
            && read(*j, "imported", r.imported)
            && read(*j, "token_expires_at", r.token_expires_at)
            && read(*j, "token_issued_at", r.token_issued_at)
            && read(*j, "last_error", r.last_error) && read(*j, "token", r.token)
            && read(*j, "initial_fetch_done", r.initial_fetch_done)
            && read(*j, "fetch_failures", r.fetch_failures)
            && read(*j, "recent_imports", r.recent_imports);
  if (!ok) {
    return std::nullopt;
  }
  return r;
}

json public_view(const user_record& r) {
  return json{
    {"user", r.user},
    {"linked", r.linked},
    {"state", r.state},
    {"instagram_user_id", r.instagram_user_id},
    {"username", r.username},
    {"linked_at", time_or_null(r.linked_at)},
    {"last_fetch_at", time_or_null(r.last_fetch_at)},
    {"next_fetch_at", time_or_null(r.next_fetch_at)},
    {"poll_tier", r.poll_tier},
    {"imported", r.imported},
    {"token_expires_at", time_or_null(r.token_expires_at)},
    {"last_error", r.last_error},
  };
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
  return j;
}

// -- outbox_entry -------------------------------------------------------------

std::string encode(const outbox_entry& e) {
  json j{
    {"seq", e.seq},
    {"type", e.type},
    {"id", e.id},
    {"user", e.user},
    {"data", e.data},
    {"attempts", e.attempts},
    {"created_at", e.created_at},
    {"next_attempt_at", e.next_attempt_at},
    {"last_error", e.last_error},
  };
  return dump(j);
}

std::optional<outbox_entry> decode_outbox(std::string_view bytes) {
  auto j = parse_object(bytes);
  if (!j || !j->contains("id")) {
    return std::nullopt;
  }
  outbox_entry e;
  bool ok = read(*j, "seq", e.seq) && read(*j, "type", e.type) && read(*j, "id", e.id)
            && read(*j, "user", e.user) && read(*j, "data", e.data)
            && read(*j, "attempts", e.attempts) && read(*j, "created_at", e.created_at)
            && read(*j, "next_attempt_at", e.next_attempt_at)
            && read(*j, "last_error", e.last_error);
  if (!ok) {
    return std::nullopt;
  }
  return e;
}

json public_view(const outbox_entry& e) {
  auto data = json::parse(e.data, nullptr, false);
  if (data.is_discarded()) {
    data = nullptr;
  }
  return json{
    {"id", std::to_string(e.seq)},
    {"type", e.type},
    {"record_id", e.id},
    {"user", e.user},
    {"attempts", e.attempts},
    {"created_at", time_or_null(e.created_at)},
    {"next_attempt_at", time_or_null(e.next_attempt_at)},
    {"last_error", e.last_error},
    {"data", std::move(data)},
  };
}

// -- oauth_state, hint --------------------------------------------------------

std::string encode(const oauth_state& s) {
  return dump(json{{"user", s.user}, {"expires_at", s.expires_at}, {"cookie", s.cookie}});
}

std::optional<oauth_state> decode_oauth_state(std::string_view bytes) {
  auto j = parse_object(bytes);
  if (!j || !j->contains("user")) {
    return std::nullopt;
  }
  oauth_state s;
  if (!read(*j, "user", s.user) || !read(*j, "expires_at", s.expires_at)
      || !read(*j, "cookie", s.cookie)) {
    return std::nullopt;
  }
  return s;
}

std::string encode(const hint& h) {
  return dump(json{{"due_at", h.due_at}, {"received_at", h.received_at}});
}

std::optional<hint> decode_hint(std::string_view bytes) {
  auto j = parse_object(bytes);
  if (!j || !j->contains("due_at")) {
    return std::nullopt;
  }
  hint h;
  if (!read(*j, "due_at", h.due_at) || !read(*j, "received_at", h.received_at)) {
    return std::nullopt;
  }
  return h;
}

std::string seen_key(std::string_view user, std::string_view media_id) {
  std::string k;
  k.reserve(user.size() + 1 + media_id.size());
  k.append(user).push_back('\0');
  k.append(media_id);
  return k;
}

} // namespace igbridge
