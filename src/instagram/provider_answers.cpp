#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "igbridge/clock.hpp"
#include "igbridge/hashtags.hpp"
#include "igbridge/provider.hpp"

namespace igbridge {

namespace {

using json = nlohmann::json;

json parse(const std::string& body) {
  return json::parse(body, nullptr, false);
}

const json* member(const json& obj, const char* key) {
  if (!obj.is_object()) {
    return nullptr;
  }
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string string_of(const json& obj, const char* key) {
  const json* v = member(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string{};
}

/// Ids are strings, but some answers spell them as numbers; a number is
/// kept digit for digit (never through a double).
std::optional<std::string> id_of(const json& obj, const char* key) {
  const json* v = member(obj, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (v->is_string()) {
    auto s = v->get<std::string>();
    return s.empty() ? std::nullopt : std::optional<std::string>(s);
  }
  if (v->is_number_unsigned()) {
    return std::to_string(v->get<uint64_t>());
  }
  if (v->is_number_integer()) {
    return std::to_string(v->get<int64_t>());
  }
  return std::nullopt;
}

int64_t integer_of(const json& obj, const char* key) {
  const json* v = member(obj, key);
  if (v != nullptr && v->is_number_integer()) {
    return v->get<int64_t>();
  }
  if (v != nullptr && v->is_string()) {
    // legacy spells unix times as strings
    const auto& s = v->get_ref<const std::string&>();
    if (!s.empty() && s.size() <= 18 && s.find_first_not_of("0123456789") == std::string::npos) {
      return std::stoll(s);
    }
  }
  return 0;
}

std::string upper(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return s;
}

std::optional<media_item> graph_item(const json& j) {
  auto id = id_of(j, "id");
  if (!id) {
    return std::nullopt;
  }
  media_item m;
  m.id = *id;
  m.caption = string_of(j, "caption");
  m.tags = extract_hashtags(m.caption);
  m.media_type = string_of(j, "media_type");
  m.media_url = string_of(j, "media_url");
  m.thumbnail_url = string_of(j, "thumbnail_url");
  m.permalink = string_of(j, "permalink");
  m.username = string_of(j, "username");
  if (auto t = parse_iso8601(string_of(j, "timestamp"))) {
    m.taken_at = rfc3339(*t);
  }
  return m;
}

std::optional<media_item> legacy_item(const json& j) {
  auto id = id_of(j, "id");
  if (!id) {
    return std::nullopt;
  }
  media_item m;
  m.id = *id;
  if (const json* caption = member(j, "caption"); caption != nullptr && caption->is_object()) {
    m.caption = string_of(*caption, "text");
  }
  if (const json* tags = member(j, "tags"); tags != nullptr && tags->is_array()) {
    for (const auto& t : *tags) {
      if (!t.is_string()) {
        continue;
      }
      std::string tag = normalize_tag(t.get<std::string>());
      if (!tag.empty() && std::find(m.tags.begin(), m.tags.end(), tag) == m.tags.end()) {
        m.tags.push_back(std::move(tag));
      }
    }
  } else {
    m.tags = extract_hashtags(m.caption); // no tags field: read the caption
  }
  m.media_type = upper(string_of(j, "type"));
  if (const json* images = member(j, "images")) {
    if (const json* standard = member(*images, "standard_resolution")) {
      m.media_url = string_of(*standard, "url");
    }
    if (const json* thumb = member(*images, "thumbnail")) {
      m.thumbnail_url = string_of(*thumb, "url");
    }
  }
  m.permalink = string_of(j, "link");
  if (const json* user = member(j, "user")) {
    m.username = string_of(*user, "username");
  }
  if (int64_t t = integer_of(j, "created_time"); t > 0) {
    m.taken_at = rfc3339(t);
  }
  return m;
}

} // namespace

std::optional<token_grant> parse_code_exchange(dialect d, const std::string& body) {
  json j = parse(body);
  if (!j.is_object()) {
    return std::nullopt;
  }
  token_grant g;
  if (d == dialect::legacy) {
    const json* user = member(j, "user");
    auto id = user != nullptr ? id_of(*user, "id") : std::nullopt;
    g.access_token = string_of(j, "access_token");
    if (!id || g.access_token.empty()) {
      return std::nullopt;
    }
    g.user_id = *id;
    g.username = string_of(*user, "username");
    return g;
  }
  const json* grant = &j;
  if (const json* data = member(j, "data"); data != nullptr) {
    if (!data->is_array() || data->empty() || !(*data)[0].is_object()) {
      return std::nullopt;
    }
    grant = &(*data)[0];
  }
  g.access_token = string_of(*grant, "access_token");
  auto id = id_of(*grant, "user_id");
  if (!id || g.access_token.empty()) {
    return std::nullopt;
  }
  g.user_id = *id;
  g.expires_in = integer_of(*grant, "expires_in");
  return g;
}

std::optional<token_grant> parse_long_lived(const std::string& body) {
  json j = parse(body);
  token_grant g;
  g.access_token = string_of(j, "access_token");
  if (g.access_token.empty()) {
    return std::nullopt;
  }
  g.expires_in = integer_of(j, "expires_in");
  return g;
}

bool parse_me(const std::string& body, token_grant& grant) {
  json j = parse(body);
  auto id = id_of(j, "user_id");
  if (!id) {
    id = id_of(j, "id");
  }
  if (!id) {
    return false;
  }
  grant.user_id = *id;
  if (auto name = string_of(j, "username"); !name.empty()) {
    grant.username = name;
  }
  return true;
}

std::optional<media_page> parse_media_page(dialect d, const std::string& body) {
  json j = parse(body);
  const json* data = member(j, "data");
  if (data == nullptr || !data->is_array()) {
    return std::nullopt;
  }
  media_page page;
  for (const auto& item : *data) {
    auto m = d == dialect::legacy ? legacy_item(item) : graph_item(item);
    if (m) {
      page.items.push_back(std::move(*m));
    }
  }
  if (d == dialect::legacy) {
    if (const json* p = member(j, "pagination")) {
      page.next_url = string_of(*p, "next_url");
    }
  } else if (const json* p = member(j, "paging")) {
    page.next_url = string_of(*p, "next");
  }
  return page;
}

} // namespace igbridge
