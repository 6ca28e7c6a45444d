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

/// 90 days: longer than any token Instagram issues (60 days), so a bogus
/// expires_in cannot push a refresh past the token's real end.
constexpr int64_t max_expires_in_s = 90 * 86400;

int64_t capped_expiry(int64_t expires_in) {
  return std::clamp<int64_t>(expires_in, 0, max_expires_in_s);
}

std::vector<media_child> graph_children(const json& j) {
  std::vector<media_child> out;
  const json* children = member(j, "children");
  const json* data = children != nullptr ? member(*children, "data") : nullptr;
  if (data == nullptr || !data->is_array()) {
    return out;
  }
  for (const auto& c : *data) {
    auto id = id_of(c, "id");
    if (!id) {
      continue;
    }
    media_child child;
    child.id = *id;
    child.media_type = string_of(c, "media_type");
    child.media_url = string_of(c, "media_url");
    child.thumbnail_url = string_of(c, "thumbnail_url");
    out.push_back(std::move(child));
  }
  return out;
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
  m.children = graph_children(j);
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
  g.expires_in = capped_expiry(integer_of(*grant, "expires_in"));
  return g;
}

std::optional<token_grant> parse_long_lived(const std::string& body) {
  json j = parse(body);
  token_grant g;
  g.access_token = string_of(j, "access_token");
  if (g.access_token.empty()) {
    return std::nullopt;
  }
  g.expires_in = capped_expiry(integer_of(j, "expires_in"));
  return g;
}

bool parse_me(const std::string& body, token_grant& grant) {
  json whole = parse(body);
  // Documented wrapped in data[] (DESIGN §9), answered flat by the live API.
  const json& j = [&]() -> const json& {
    const json* data = member(whole, "data");
    return data != nullptr && data->is_array() && !data->empty() && (*data)[0].is_object()
             ? (*data)[0]
             : whole;
  }();
  auto professional = id_of(j, "user_id");
  auto scoped = id_of(j, "id");
  if (!professional) {
    professional = scoped;
  }
  if (!professional) {
    return false;
  }
  grant.user_id = *professional;
  grant.app_scoped_id = scoped ? *scoped : std::string{};
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

std::optional<media_item> parse_media_node(const std::string& body) {
  return graph_item(parse(body)); // graph answers the id of every node, children's too
}

} // namespace igbridge
