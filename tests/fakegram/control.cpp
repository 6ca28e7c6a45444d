/// The fake-only JSON control API under /_fake: accounts, posts and their
/// files, caption edits and deletions, token revocation and ageing, faults,
/// stats, and the on-demand deliveries (mention, direct message, dashboard
/// test payload, deauthorize, data deletion). Bodies are
/// validated strictly (unknown keys refused) so a test's typo fails loudly.

#include "control.hpp"

#include <ctime>

#include "assets.hpp"
#include "callbacks.hpp"
#include "cdn.hpp"
#include "crypto.hpp"
#include "demo_page.hpp"
#include "faults.hpp"
#include "media_files.hpp"
#include "publish.hpp"
#include "subscriptions.hpp"
#include "tags.hpp"
#include "timefmt.hpp"

#include <set>

namespace fakegram {

namespace {

using json = nlohmann::json;

constexpr double max_caption_delay_s = 31536000; // a year
constexpr long long max_age_s = 1000000000;
constexpr long long max_seed = 100000; // accounts per bulk call, so an answer stays a few MB

reply error_reply(unsigned status, const std::string& message) {
  return json_reply(status, {{"error", message}});
}

/// Parses a JSON object body whose keys are all in `allowed`; nullopt (and a
/// 400 in `error`) otherwise. Unknown keys are refused so typos surface.
std::optional<json> object_body(const request& req, reply& error,
                                const std::set<std::string>& allowed) {
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    error = error_reply(400, "the body must be a JSON object");
    return std::nullopt;
  }
  for (const auto& [key, value] : body.items()) {
    if (allowed.count(key) == 0) {
      error = error_reply(400, "unknown key '" + key + "'");
      return std::nullopt;
    }
  }
  return body;
}

const char* kind_of(token_kind k) {
  switch (k) {
    case token_kind::short_lived:
      return "short_lived";
    case token_kind::long_lived:
      return "long_lived";
    case token_kind::legacy:
      return "legacy";
  }
  return "legacy";
}

json token_json(const token& t) {
  return {{"token", t.value},       {"kind", kind_of(t.kind)},
          {"permissions", t.permissions}, {"issued_at", t.issued_at},
          {"expires_at", t.expires_at == 0 ? json(nullptr) : json(t.expires_at)}};
}

json account_json(app& a, const account& who) {
  json details = json::array();
  for (const auto& t : a.st.valid_token_records(who.id)) {
    details.push_back(token_json(t));
  }
  return {{"id", who.id},
          {"username", who.username},
          {"app_scoped_id", who.app_scoped_id},
          {"tokens", a.st.valid_tokens(who.id)},
          {"token_details", details},
          {"subscribed", who.subscribed},
          // An enabled account receives every field the app subscribed to.
          {"subscribed_fields", who.subscribed ? app_fields(a) : std::vector<std::string>{}},
          {"media_count", a.st.media_count(who.id)}};
}

json media_json(app& a, const request& req, const media& m) {
  auto base = a.base_url(req);
  auto now_ms = unix_now_ms();
  return {{"id", m.id},
          {"account_id", m.account_id},
          {"caption", m.caption ? json(*m.caption) : json(nullptr)},
          {"caption_shown", m.caption_shown(now_ms)},
          {"tags", m.tags},
          {"media_type", m.media_type},
          {"children", m.children},
          {"child_types", m.child_types},
          {"no_media_url", m.no_media_url},
          {"created_time", m.created_time},
          {"preview_url", base + "/_fake/media/" + m.id + ".svg"},
          {"permalink", base + "/p/" + m.id}};
}

/// Every file of a post with fresh CDN URLs and the digests tests compare.
json files_json(app& a, const request& req, const media& m) {
  auto base = a.base_url(req);
  auto all = files_of(m);
  json out = json::array();
  for (const auto& f : all) {
    auto bytes = file_bytes(f);
    // Whether the API's answers carry this file's URL (no_media_url hides media_url).
    bool exposed = f.kind == file_kind::thumbnail || !m.no_media_url;
    out.push_back({{"media_id", f.media_id},
                   {"kind", kind_name(f.kind)},
                   {"url", cdn_url(a, base, f)},
                   {"sha256", sha256_hex(bytes)},
                   {"content_type", content_type_of(f.kind)},
                   {"bytes", bytes.size()},
                   {"exposed", exposed}});
  }
  return out;
}

reply create_account(app& a, const request& req) {
  reply error;
  auto body = object_body(req, error, {"username"});
  if (!body) {
    return error;
  }
  auto it = body->find("username");
  if (it == body->end() || !it->is_string() || !valid_username(it->get<std::string>())) {
    return error_reply(400, "username must be 1-30 letters, digits, '.' or '_'");
  }
  auto who = a.st.create_account(it->get<std::string>());
  return json_reply(200, {{"id", who.id}, {"username", who.username},
                          {"app_scoped_id", who.app_scoped_id}});
}

/// POST /_fake/accounts/bulk {"prefix", "from"?, "count", "posts"?}: accounts
/// prefix+from … prefix+(from+count-1), each with a fresh token as a finished
/// link leaves it (graph: long-lived with instagram_business_basic; legacy:
/// basic), and `posts` (0-10) image posts "Dish k #ed" each, a minute apart
/// in the last hour. Benchmarks seed a million linked users with it, in chunks.
reply seed_accounts(app& a, const request& req) {
  reply error;
  auto body = object_body(req, error, {"prefix", "from", "count", "posts"});
  if (!body) {
    return error;
  }
  auto prefix = body->value("prefix", json()).is_string() ? (*body)["prefix"].get<std::string>()
                                                          : std::string();
  auto count = body->value("count", json());
  auto from = body->value("from", json(0));
  if (prefix.empty() || !valid_username(prefix + "0")
      || !valid_username(prefix + std::to_string(max_seed * 100000))) {
    return error_reply(400, "prefix must be a username prefix short enough for any number");
  }
  if (!count.is_number_integer() || count.get<long long>() < 1
      || count.get<long long>() > max_seed) {
    return error_reply(400, "count must be an integer 1-" + std::to_string(max_seed));
  }
  if (!from.is_number_integer() || from.get<long long>() < 0
      || from.get<long long>() > max_seed * 100000) {
    return error_reply(400, "from must be a non-negative integer");
  }
  auto posts = body->value("posts", json(0));
  if (!posts.is_number_integer() || posts.get<long long>() < 0 || posts.get<long long>() > 10) {
    return error_reply(400, "posts must be an integer 0-10");
  }
  auto kind = a.graph() ? token_kind::long_lived : token_kind::legacy;
  std::vector<std::string> scopes{a.graph() ? "instagram_business_basic" : "basic"};
  auto seeded = a.st.seed_accounts(prefix, from.get<std::uint64_t>(), count.get<std::uint64_t>(),
                                   kind, scopes);
  auto now = static_cast<std::int64_t>(std::time(nullptr));
  for (const auto& s : seeded) {
    for (long long k = 0; k < posts.get<long long>(); ++k) {
      post_request p;
      p.caption = "Dish " + std::to_string(k) + " #ed";
      p.created_time = now - 3600 + 60 * k;
      std::string why;
      publish_media(a, s.who.id, p, why);
    }
  }
  json out = json::array();
  for (const auto& s : seeded) {
    out.push_back({{"id", s.who.id},
                   {"app_scoped_id", s.who.app_scoped_id},
                   {"username", s.who.username},
                   {"token", s.tok.value},
                   {"issued_at", s.tok.issued_at},
                   {"expires_at", s.tok.expires_at == 0 ? json(nullptr) : json(s.tok.expires_at)}});
  }
  return json_reply(200, {{"accounts", std::move(out)}});
}

/// Reads `tags` (array of strings) when present.
bool read_tags(const json& body, std::optional<std::vector<std::string>>& out) {
  auto it = body.find("tags");
  if (it == body.end() || it->is_null()) {
    return true;
  }
  if (!it->is_array()) {
    return false;
  }
  std::vector<std::string> tags;
  for (const auto& t : *it) {
    if (!t.is_string()) {
      return false;
    }
    tags.push_back(t.get<std::string>());
  }
  out = std::move(tags);
  return true;
}

/// `children`: a count of images (2-10), or the children themselves,
/// `[{"media_type":"VIDEO"},{"media_type":"IMAGE"},…]`; nullopt when neither.
std::optional<std::vector<std::string>> read_children(const json& v) {
  if (v.is_number_integer()) {
    auto n = v.get<long long>();
    if (n < 2 || n > 10) {
      return std::nullopt;
    }
    return std::vector<std::string>(static_cast<std::size_t>(n), "IMAGE");
  }
  if (!v.is_array() || v.size() < 2 || v.size() > 10) {
    return std::nullopt;
  }
  std::vector<std::string> types;
  for (const auto& child : v) {
    auto t = child.is_object() && child.size() == 1 ? child.value("media_type", json()) : json();
    if (t != "IMAGE" && t != "VIDEO") {
      return std::nullopt;
    }
    types.push_back(t.get<std::string>());
  }
  return types;
}

reply post_media(app& a, const request& req, const std::string& account_id) {
  reply error;
  auto body = object_body(req, error, {"caption", "tags", "media_type", "children", "caption_after_s",
                                       "no_media_url", "created_time", "video_bytes"});
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
  if (!read_tags(*body, p.tags)) {
    return error_reply(400, "tags must be an array of strings");
  }
  if (auto it = body->find("media_type"); it != body->end() && !it->is_null()) {
    if (!it->is_string()) {
      return error_reply(400, "media_type must be a string");
    }
    p.media_type = it->get<std::string>();
  }
  if (auto it = body->find("children"); it != body->end() && !it->is_null()) {
    p.children = read_children(*it);
    if (!p.children) {
      return error_reply(400, "children must be a count 2-10 or a list of 2-10 "
                              "{\"media_type\":\"IMAGE\"|\"VIDEO\"}");
    }
    if (!body->contains("media_type")) {
      p.media_type = "CAROUSEL_ALBUM";
    }
  }
  if (auto it = body->find("caption_after_s"); it != body->end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > max_caption_delay_s) {
      return error_reply(400, "caption_after_s must be a number of seconds (0 to a year)");
    }
    p.caption_after_ms = static_cast<std::int64_t>(it->get<double>() * 1000);
  }
  if (auto it = body->find("no_media_url"); it != body->end() && !it->is_null()) {
    if (!it->is_boolean()) {
      return error_reply(400, "no_media_url must be a boolean");
    }
    p.no_media_url = it->get<bool>();
  }
  if (auto it = body->find("created_time"); it != body->end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<long long>() < 0 || it->get<long long>() > 99999999999LL) {
      return error_reply(400, "created_time must be unix seconds");
    }
    p.created_time = it->get<std::int64_t>();
  }
  if (auto it = body->find("video_bytes"); it != body->end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<long long>() < 0) {
      return error_reply(400, "video_bytes must be a number of bytes");
    }
    p.video_bytes = it->get<std::uint64_t>();
  }
  std::string why;
  auto m = publish_media(a, account_id, p, why);
  if (!m) {
    return why.empty() ? error_reply(404, "unknown account " + account_id) : error_reply(400, why);
  }
  return json_reply(200, media_json(a, req, *m));
}

reply edit_media(app& a, const request& req, const media& m) {
  reply error;
  auto body = object_body(req, error, {"caption", "tags"});
  if (!body) {
    return error;
  }
  auto it = body->find("caption");
  if (it == body->end() || !(it->is_string() || it->is_null())) {
    return error_reply(400, "caption must be a string (or null to remove it)");
  }
  std::optional<std::string> caption;
  if (it->is_string() && !it->get<std::string>().empty()) {
    caption = it->get<std::string>();
  }
  std::optional<std::vector<std::string>> tags;
  if (!read_tags(*body, tags)) {
    return error_reply(400, "tags must be an array of strings");
  }
  // Like an edit in the app: no webhook, the next fetch sees the new caption.
  auto edited = a.st.edit_caption(m.id, caption,
                                  tags ? normalize_tags(*tags) : extract_hashtags(caption.value_or("")));
  if (!edited) {
    return error_reply(404, "unknown media " + m.id);
  }
  return json_reply(200, media_json(a, req, *edited));
}

reply media_detail(app& a, const request& req, const media& m) {
  auto out = media_json(a, req, m);
  out["files"] = files_json(a, req, m);
  return json_reply(200, out);
}

reply age_tokens(app& a, const request& req, const account& who) {
  reply error;
  auto body = object_body(req, error, {"seconds"});
  if (!body) {
    return error;
  }
  auto it = body->find("seconds");
  if (it == body->end() || !it->is_number_integer() || it->get<long long>() < 1
      || it->get<long long>() > max_age_s) {
    return error_reply(400, "seconds must be an integer 1-1000000000");
  }
  int aged = a.st.age_tokens(who.id, it->get<std::int64_t>());
  json details = json::array();
  for (const auto& t : a.st.valid_token_records(who.id)) {
    details.push_back(token_json(t));
  }
  return json_reply(200, {{"aged", aged}, {"token_details", details}});
}

reply set_faults(app& a, const request& req) {
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return error_reply(400, "the body must be a JSON object");
  }
  fault f;
  int count = 1;
  if (auto why = read_fault(a, body, f, count); !why.empty()) {
    return error_reply(400, why);
  }
  return json_reply(200, fault_json(f, a.st.set_fault(f, count)));
}

reply notifications(app& a) {
  json out = json::array();
  for (const auto& n : a.st.notifications()) {
    out.push_back({{"time", n.time}, {"what", n.what}, {"account_id", n.account_id},
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

reply account_routes(app& a, const request& req, const std::vector<std::string>& seg) {
  const auto& m = req.method;
  auto n = seg.size();
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
  if (n == 5 && seg[3] == "media" && (m == "GET" || m == "PATCH" || m == "DELETE")) {
    auto post = a.st.find_media(seg[4]);
    if (!post || post->account_id != who->id) {
      return error_reply(404, "account " + who->id + " has no media " + seg[4]);
    }
    if (m == "DELETE") {
      // Deleted in the app: gone from the listing, its node and its files
      // answer as for any object that does not exist. No webhook, as on Instagram.
      a.st.delete_media(post->id);
      return json_reply(200, {{"deleted", post->id}});
    }
    return m == "GET" ? media_detail(a, req, *post) : edit_media(a, req, *post);
  }
  if (n == 4 && m == "POST") {
    if (seg[3] == "revoke") {
      return json_reply(200, {{"revoked", a.st.revoke_tokens(who->id)}});
    }
    if (seg[3] == "age") {
      return age_tokens(a, req, *who);
    }
    if (seg[3] == "mention") {
      return handle_mention(a, req, *who);
    }
    if (seg[3] == "message") {
      return handle_message(a, req, *who);
    }
    if (seg[3] == "deauthorize" || seg[3] == "data-deletion") {
      return handle_signed_request_callback(a, req, *who, seg[3] == "data-deletion");
    }
  }
  return error_reply(404, "no control endpoint " + m + " " + req.path);
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
  if (n == 3 && seg[1] == "accounts" && seg[2] == "bulk" && m == "POST") {
    return seed_accounts(a, req);
  }
  if (n >= 3 && seg[1] == "accounts") {
    return account_routes(a, req, seg);
  }
  if (n == 2 && seg[1] == "faults") {
    if (m == "POST") {
      return set_faults(a, req);
    }
    if (m == "GET") {
      return json_reply(200, {{"pending", a.st.pending_faults(fault_target::api)},
                              {"pending_cdn", a.st.pending_faults(fault_target::cdn)},
                              {"held_until_ms", a.st.held_until_ms(fault_target::api)},
                              {"held_until_ms_cdn", a.st.held_until_ms(fault_target::cdn)}});
    }
  }
  if (n == 2 && seg[1] == "test-webhook" && m == "POST") {
    return handle_test_webhook(a, req);
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
    if (seg[2] == "mention") {
      return handle_demo_mention(a, req);
    }
  }
  return error_reply(404, "no control endpoint " + m + " " + req.path);
}

} // namespace fakegram
