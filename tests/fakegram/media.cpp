#include "media.hpp"

#include "errors.hpp"
#include "timefmt.hpp"

#include <algorithm>
#include <set>

namespace fakegram {

namespace {

constexpr int graph_default_limit = 25;
constexpr int legacy_default_count = 20;
constexpr int max_page = 100;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Fields /me/media knows; asking for anything else is an error, like the real one.
const std::set<std::string> graph_media_fields = {
  "id", "caption", "media_type", "media_url", "permalink", "thumbnail_url", "timestamp",
  "username", "media_product_type", "shortcode", "like_count", "comments_count",
  "is_comment_enabled", "is_shared_to_feed", "owner"};

std::string media_url(const std::string& base, const media& m) {
  return base + "/_fake/media/" + m.id + ".svg";
}

std::string permalink(const std::string& base, const media& m) {
  return base + "/p/" + m.id;
}

/// Parses a positive page size; nullopt when absent, 0 when invalid.
std::optional<int> page_size(const request& req, const char* key) {
  if (!req.has_param(key)) {
    return std::nullopt;
  }
  auto s = req.param(key);
  if (s.empty() || s.size() > 6 || !std::all_of(s.begin(), s.end(), is_digit)) {
    return 0;
  }
  return std::stoi(s);
}

std::vector<std::string> split_fields(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= s.size()) {
    auto end = s.find(',', i);
    if (end == std::string::npos) {
      end = s.size();
    }
    auto f = s.substr(i, end - i);
    f.erase(std::remove(f.begin(), f.end(), ' '), f.end());
    if (!f.empty()) {
      out.push_back(f);
    }
    i = end + 1;
  }
  return out;
}

/// Resolves a graph token to its account, or an error reply.
std::optional<account> graph_auth(app& a, const request& req, reply& error) {
  token t;
  if (auto why = a.st.check_token(req.param("access_token"), t); why != token_status::ok) {
    error = token_error(a.opts.dia, why);
    return std::nullopt;
  }
  auto who = a.st.find_account(t.account_id);
  if (!who) {
    error = token_error(a.opts.dia, token_status::unknown);
  }
  return who;
}

reply graph_no_object(const std::string& subject) {
  return graph_error(400, 100,
                     "Unsupported get request. Object with ID '" + subject
                       + "' does not exist, cannot be loaded due to missing permissions, or does "
                         "not support this operation.",
                     33, "IGApiException");
}

nlohmann::json graph_item(const std::string& base, const media& m, const account& who,
                          const std::vector<std::string>& fields) {
  nlohmann::json item = nlohmann::json::object();
  item["id"] = m.id; // graph always answers the id
  for (const auto& f : fields) {
    if (f == "caption") {
      if (m.caption) {
        item["caption"] = *m.caption;
      }
    } else if (f == "media_type") {
      item["media_type"] = m.media_type;
    } else if (f == "media_url") {
      item["media_url"] = media_url(base, m);
    } else if (f == "permalink") {
      item["permalink"] = permalink(base, m);
    } else if (f == "thumbnail_url") {
      if (m.media_type == "VIDEO") {
        item["thumbnail_url"] = media_url(base, m);
      }
    } else if (f == "timestamp") {
      item["timestamp"] = graph_timestamp(m.created_time);
    } else if (f == "username") {
      item["username"] = who.username;
    } else if (f == "media_product_type") {
      item["media_product_type"] = "FEED";
    } else if (f == "shortcode") {
      item["shortcode"] = m.id;
    } else if (f == "like_count" || f == "comments_count") {
      item[f] = 0;
    } else if (f == "is_comment_enabled" || f == "is_shared_to_feed") {
      item[f] = true;
    } else if (f == "owner") {
      item["owner"] = {{"id", who.id}};
    }
  }
  return item;
}

std::string cursor_of(const media& m) {
  return base64url_encode("fakegram:" + std::to_string(m.seq));
}

/// Decodes a cursor back to a media sequence number.
std::optional<std::uint64_t> cursor_seq(const std::string& cursor) {
  auto raw = base64url_decode(cursor);
  const std::string prefix = "fakegram:";
  if (!raw || raw->rfind(prefix, 0) != 0 || raw->size() == prefix.size() || raw->size() > 30) {
    return std::nullopt;
  }
  auto digits = raw->substr(prefix.size());
  if (!std::all_of(digits.begin(), digits.end(), is_digit)) {
    return std::nullopt;
  }
  return std::stoull(digits);
}

std::string legacy_type(const std::string& media_type) {
  if (media_type == "VIDEO") {
    return "video";
  }
  if (media_type == "CAROUSEL_ALBUM") {
    return "carousel";
  }
  return "image";
}

nlohmann::json legacy_user_json(const std::string& base, const account& who) {
  return {{"id", who.id},
          {"username", who.username},
          {"full_name", who.username},
          {"profile_picture", base + "/_fake/avatar/" + who.id + ".svg"}};
}

nlohmann::json legacy_item(const std::string& base, const media& m, const account& who) {
  auto url = media_url(base, m);
  auto image = [&](int size) { return nlohmann::json{{"url", url}, {"width", size}, {"height", size}}; };
  nlohmann::json caption = nullptr;
  if (m.caption) {
    caption = {{"id", m.caption_id},
               {"text", *m.caption},
               {"created_time", std::to_string(m.created_time)},
               {"from", {{"id", who.id}, {"username", who.username}}}};
  }
  nlohmann::json item = {{"id", m.id},
                         {"type", legacy_type(m.media_type)},
                         {"tags", m.tags},
                         {"created_time", std::to_string(m.created_time)},
                         {"link", permalink(base, m)},
                         {"caption", caption},
                         {"images",
                          {{"thumbnail", image(150)},
                           {"low_resolution", image(306)},
                           {"standard_resolution", image(612)}}},
                         {"user", legacy_user_json(base, who)},
                         {"filter", "Normal"},
                         {"location", nullptr},
                         {"users_in_photo", nlohmann::json::array()},
                         {"likes", {{"count", 0}}},
                         {"comments", {{"count", 0}}}};
  if (m.media_type == "VIDEO") {
    item["videos"] = {{"standard_resolution", image(612)}};
  }
  return item;
}

/// Resolves a legacy token that must belong to `user_id` ("self" = the token's owner).
std::optional<account> legacy_auth(app& a, const request& req, const std::string& user_id,
                                   reply& error) {
  if (req.param("access_token").empty()) {
    error = legacy_error(400, "OAuthParameterException",
                         "Missing client_id or access_token URL parameter.");
    return std::nullopt;
  }
  token t;
  auto why = a.st.check_token(req.param("access_token"), t);
  if (why != token_status::ok || (user_id != "self" && user_id != t.account_id)) {
    error = token_error(a.opts.dia, why == token_status::ok ? token_status::unknown : why);
    return std::nullopt;
  }
  auto who = a.st.find_account(t.account_id);
  if (!who) {
    error = token_error(a.opts.dia, token_status::unknown);
  }
  return who;
}

} // namespace

reply handle_graph_me(app& a, const request& req, const std::string& subject) {
  reply error;
  auto who = graph_auth(a, req, error);
  if (!who) {
    return error;
  }
  if (subject != "me" && subject != who->id) {
    return graph_no_object(subject);
  }
  return json_reply(200, {{"user_id", who->id}, {"id", who->id}, {"username", who->username}});
}

reply handle_graph_media(app& a, const request& req, const std::string& subject) {
  reply error;
  auto who = graph_auth(a, req, error);
  if (!who) {
    return error;
  }
  if (subject != "me" && subject != who->id) {
    return graph_no_object(subject);
  }
  auto fields = split_fields(req.param("fields"));
  for (const auto& f : fields) {
    if (graph_media_fields.count(f) == 0) {
      return graph_error(400, 100, "Tried accessing nonexisting field (" + f + ") on node type (Media)",
                         std::nullopt, "IGApiException");
    }
  }
  int limit = page_size(req, "limit").value_or(graph_default_limit);
  if (limit <= 0) {
    return graph_error(400, 100, "The parameter limit must be a positive integer.");
  }
  limit = std::min(limit, max_page);
  auto all = a.st.media_of(who->id);
  auto begin = all.begin();
  if (req.has_param("after")) {
    auto seq = cursor_seq(req.param("after"));
    if (!seq) {
      return graph_error(400, 100, "Invalid cursor: " + req.param("after"));
    }
    begin = std::find_if(all.begin(), all.end(), [&](const media& m) { return m.seq < *seq; });
  }
  auto end = all.end() - begin > limit ? begin + limit : all.end();
  auto base = a.base_url(req);
  nlohmann::json data = nlohmann::json::array();
  for (auto it = begin; it != end; ++it) {
    data.push_back(graph_item(base, *it, *who, fields));
  }
  nlohmann::json body = {{"data", data}};
  if (begin != end) {
    // Like graph: cursors whenever there is data, `next` only when more follows.
    nlohmann::json paging = {{"cursors", {{"before", cursor_of(*begin)}, {"after", cursor_of(*(end - 1))}}}};
    if (end != all.end()) {
      param_list q{{"access_token", req.param("access_token")}};
      if (req.has_param("fields")) {
        q.emplace_back("fields", req.param("fields"));
      }
      q.emplace_back("limit", std::to_string(limit));
      q.emplace_back("after", cursor_of(*(end - 1)));
      paging["next"] = base + "/" + subject + "/media?" + build_query(q);
    }
    body["paging"] = paging;
  }
  return json_reply(200, body);
}

reply handle_legacy_user(app& a, const request& req, const std::string& user_id) {
  reply error;
  auto who = legacy_auth(a, req, user_id, error);
  if (!who) {
    return error;
  }
  auto user = legacy_user_json(a.base_url(req), *who);
  user["bio"] = "";
  user["website"] = "";
  user["counts"] = {{"media", a.st.media_count(who->id)}, {"follows", 0}, {"followed_by", 0}};
  return json_reply(200, {{"meta", {{"code", 200}}}, {"data", user}});
}

reply handle_legacy_media(app& a, const request& req, const std::string& user_id) {
  reply error;
  auto who = legacy_auth(a, req, user_id, error);
  if (!who) {
    return error;
  }
  int count = page_size(req, "count").value_or(legacy_default_count);
  if (count <= 0) {
    return legacy_error(400, "APIInvalidParametersError", "count must be a positive integer");
  }
  count = std::min(count, max_page);
  auto all = a.st.media_of(who->id);
  auto begin = all.begin();
  if (req.has_param("max_id")) {
    // max_id is exclusive here: the page starts after the item it names.
    auto it = std::find_if(all.begin(), all.end(),
                           [&](const media& m) { return m.id == req.param("max_id"); });
    if (it == all.end()) {
      return legacy_error(400, "APIInvalidParametersError", "invalid max_id");
    }
    begin = it + 1;
  }
  auto end = all.end() - begin > count ? begin + count : all.end();
  auto base = a.base_url(req);
  nlohmann::json data = nlohmann::json::array();
  for (auto it = begin; it != end; ++it) {
    data.push_back(legacy_item(base, *it, *who));
  }
  nlohmann::json pagination = nlohmann::json::object();
  if (end != all.end()) {
    auto next_max_id = (end - 1)->id;
    param_list q{{"access_token", req.param("access_token")},
                 {"count", std::to_string(count)},
                 {"max_id", next_max_id}};
    pagination["next_url"] = base + "/v1/users/" + user_id + "/media/recent?" + build_query(q);
    pagination["next_max_id"] = next_max_id;
  }
  return json_reply(200, {{"pagination", pagination}, {"meta", {{"code", 200}}}, {"data", data}});
}

} // namespace fakegram
