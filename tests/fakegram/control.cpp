#include "control.hpp"

#include "assets.hpp"
#include "demo_page.hpp"
#include "publish.hpp"

namespace fakegram {

namespace {

using json = nlohmann::json;

reply error_reply(unsigned status, const std::string& message) {
  return json_reply(status, {{"error", message}});
}

/// Parses a JSON object body; nullopt (and a 400 in `error`) otherwise.
std::optional<json> object_body(const request& req, reply& error) {
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    error = error_reply(400, "the body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

json account_json(app& a, const account& who) {
  return {{"id", who.id},
          {"username", who.username},
          {"tokens", a.st.valid_tokens(who.id)},
          {"media_count", a.st.media_count(who.id)}};
}

json media_json(app& a, const request& req, const media& m) {
  auto base = a.base_url(req);
  return {{"id", m.id},
          {"account_id", m.account_id},
          {"caption", m.caption ? json(*m.caption) : json(nullptr)},
          {"tags", m.tags},
          {"media_type", m.media_type},
          {"created_time", m.created_time},
          {"media_url", base + "/_fake/media/" + m.id + ".svg"},
          {"permalink", base + "/p/" + m.id}};
}

reply create_account(app& a, const request& req) {
  reply error;
  auto body = object_body(req, error);
  if (!body) {
    return error;
  }
  auto it = body->find("username");
  if (it == body->end() || !it->is_string() || !valid_username(it->get<std::string>())) {
    return error_reply(400, "username must be 1-30 letters, digits, '.' or '_'");
  }
  auto who = a.st.create_account(it->get<std::string>());
  return json_reply(200, {{"id", who.id}, {"username", who.username}});
}

reply post_media(app& a, const request& req, const std::string& account_id) {
  reply error;
  auto body = object_body(req, error);
  if (!body) {
    return error;
  }
  post_request p;
  if (auto it = body->find("caption"); it != body->end() && !it->is_null()) {
    if (!it->is_string()) {
      return error_reply(400, "caption must be a string");
    }
    p.caption = it->get<std::string>();
  }
  if (auto it = body->find("tags"); it != body->end() && !it->is_null()) {
    if (!it->is_array()) {
      return error_reply(400, "tags must be an array of strings");
    }
    std::vector<std::string> tags;
    for (const auto& t : *it) {
      if (!t.is_string()) {
        return error_reply(400, "tags must be an array of strings");
      }
      tags.push_back(t.get<std::string>());
    }
    p.tags = std::move(tags);
  }
  if (auto it = body->find("media_type"); it != body->end() && !it->is_null()) {
    if (!it->is_string()) {
      return error_reply(400, "media_type must be a string");
    }
    p.media_type = it->get<std::string>();
  }
  if (auto it = body->find("created_time"); it != body->end() && !it->is_null()) {
    if (!it->is_number_integer()) {
      return error_reply(400, "created_time must be unix seconds");
    }
    p.created_time = it->get<std::int64_t>();
  }
  std::string why;
  auto m = publish_media(a, account_id, p, why);
  if (!m) {
    return why.empty() ? error_reply(404, "unknown account " + account_id) : error_reply(400, why);
  }
  auto answer = media_json(a, req, *m);
  return json_reply(200, answer);
}

/// Reads an optional integer field within [lo, hi]; false when present but invalid.
bool int_field(const json& body, const char* key, long long lo, long long hi, long long& out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    return true;
  }
  // Unsigned values above int64 would wrap: refuse them before converting.
  if (!it->is_number_integer() || (it->is_number_unsigned() && it->get<std::uint64_t>() > 1u << 30)) {
    return false;
  }
  auto v = it->get<long long>();
  if (v < lo || v > hi) {
    return false;
  }
  out = v;
  return true;
}

bool bool_field(const json& body, const char* key, bool& out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    return true;
  }
  if (!it->is_boolean()) {
    return false;
  }
  out = it->get<bool>();
  return true;
}

reply set_faults(app& a, const request& req) {
  reply error;
  auto body = object_body(req, error);
  if (!body) {
    return error;
  }
  long long status = 0;
  long long delay_ms = 0;
  long long count = 1;
  fault f;
  if (!int_field(*body, "status", 100, 599, status)) {
    return error_reply(400, "status must be an HTTP status (100-599)");
  }
  if (!int_field(*body, "delay_ms", 0, 600000, delay_ms)) {
    return error_reply(400, "delay_ms must be an integer 0-600000");
  }
  if (!int_field(*body, "count", 0, 1000000, count)) {
    return error_reply(400, "count must be an integer 0-1000000");
  }
  if (!bool_field(*body, "malformed", f.malformed) || !bool_field(*body, "rate_limit", f.rate_limit)) {
    return error_reply(400, "malformed and rate_limit must be booleans");
  }
  f.status = static_cast<unsigned>(status);
  f.delay_ms = static_cast<int>(delay_ms);
  return json_reply(200, {{"pending", a.st.set_fault(f, static_cast<int>(count))}});
}

reply notifications(app& a) {
  json out = json::array();
  for (const auto& n : a.st.notifications()) {
    out.push_back({{"time", n.time}, {"account_id", n.account_id}, {"media_id", n.media_id},
                   {"status", n.status}, {"error", n.error}});
  }
  return json_reply(200, out);
}

/// "{id}.svg" → "{id}"; "" when the name does not end in .svg.
std::string strip_svg(const std::string& name) {
  const std::string ext = ".svg";
  if (name.size() <= ext.size() || name.compare(name.size() - ext.size(), ext.size(), ext) != 0) {
    return {};
  }
  return name.substr(0, name.size() - ext.size());
}

} // namespace

reply handle_control(app& a, const request& req) {
  auto seg = path_segments(req.path);
  const auto& m = req.method;
  auto n = seg.size(); // seg[0] == "_fake"
  if (n == 2 && seg[1] == "accounts") {
    if (m == "POST") {
      return create_account(a, req);
    }
    if (m == "GET") {
      json out = json::array();
      for (const auto& who : a.st.accounts()) {
        out.push_back(account_json(a, who));
      }
      return json_reply(200, out);
    }
  }
  if (n >= 3 && seg[1] == "accounts") {
    auto who = a.st.find_account(seg[2]);
    if (!who) {
      return error_reply(404, "unknown account " + seg[2]);
    }
    if (n == 3 && m == "GET") {
      return json_reply(200, account_json(a, *who));
    }
    if (n == 4 && seg[3] == "media" && m == "POST") {
      return post_media(a, req, who->id);
    }
    if (n == 4 && seg[3] == "media" && m == "GET") {
      json out = json::array();
      for (const auto& item : a.st.media_of(who->id)) {
        out.push_back(media_json(a, req, item));
      }
      return json_reply(200, out);
    }
    if (n == 4 && seg[3] == "revoke" && m == "POST") {
      return json_reply(200, {{"revoked", a.st.revoke_tokens(who->id)}});
    }
  }
  if (n == 2 && seg[1] == "faults") {
    if (m == "POST") {
      return set_faults(a, req);
    }
    if (m == "GET") {
      return json_reply(200, {{"pending", a.st.pending_faults()}});
    }
  }
  if (n == 2 && seg[1] == "stats" && m == "GET") {
    return json_reply(200, a.st.stats());
  }
  if (n == 3 && seg[1] == "stats" && seg[2] == "reset" && m == "POST") {
    a.st.reset_stats();
    return json_reply(200, a.st.stats());
  }
  if (n == 2 && seg[1] == "notifications" && m == "GET") {
    return notifications(a);
  }
  if (n == 3 && seg[1] == "media" && m == "GET" && !strip_svg(seg[2]).empty()) {
    return handle_media_image(a, strip_svg(seg[2]));
  }
  if (n == 3 && seg[1] == "avatar" && m == "GET" && !strip_svg(seg[2]).empty()) {
    return handle_avatar(a, strip_svg(seg[2]));
  }
  if (n == 3 && seg[1] == "demo" && m == "POST") {
    if (seg[2] == "accounts") {
      return handle_demo_create_account(a, req);
    }
    if (seg[2] == "post") {
      return handle_demo_post(a, req);
    }
  }
  return error_reply(404, "no control endpoint " + m + " " + req.path);
}

} // namespace fakegram
