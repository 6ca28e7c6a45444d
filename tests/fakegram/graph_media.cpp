/// The graph dialect's reads: IG User (`/me`) and IG Media (`/me/media`,
/// `/{media-id}`, `/{media-id}/children`), as "Instagram API with Instagram
/// Login" documents them. `fields` is checked strictly (unknown field → code
/// 100, bad syntax → code 2500), answers carry only what was asked for (and
/// `id`), and media URLs are fresh, expiring CDN URLs.

#include "media.hpp"

#include "cdn.hpp"
#include "errors.hpp"
#include "fields.hpp"
#include "media_files.hpp"
#include "paging.hpp"
#include "timefmt.hpp"

#include <algorithm>

namespace fakegram {

namespace {

using json = nlohmann::ordered_json;

constexpr int default_limit = 25;

const std::set<std::string> media_plain_fields = {
  "id",        "alt_text",        "boost_eligibility_info", "caption",
  "comments_count", "copyright_check_information", "is_comment_enabled",
  "is_shared_to_feed", "legacy_instagram_media_id", "like_count", "media_product_type",
  "media_type", "media_url", "owner", "permalink", "shortcode", "thumbnail_url", "timestamp",
  "username"};

const node_fields media_node{"Media", media_plain_fields, {"children", "comments", "collaborators"}};
// A carousel child is an IG Media without edges of its own.
const node_fields child_node{"Media", media_plain_fields, {}};
const node_fields user_node{"User",
                            {"id", "user_id", "username", "name", "account_type",
                             "profile_picture_url", "followers_count", "follows_count",
                             "media_count"},
                            {}};

/// The token's account, or the error to answer.
struct caller {
  account who;
  token tok;
};

std::optional<caller> graph_auth(app& a, const request& req, reply& error) {
  token t;
  if (auto why = a.st.check_token(req.param("access_token"), t); why != token_status::ok) {
    error = token_error(a.opts.dia, why);
    return std::nullopt;
  }
  auto who = a.st.find_account(t.account_id);
  if (!who) {
    error = token_error(a.opts.dia, token_status::unknown);
    return std::nullopt;
  }
  return caller{*who, t};
}

bool names_account(const std::string& subject, const account& who) {
  return subject == "me" || subject == who.id || subject == who.app_scoped_id;
}

/// Parses and checks `fields`; absent or empty means the node's default (id).
std::optional<field_list> requested_fields(const request& req, const node_fields& node,
                                           const node_fields* nested, reply& error) {
  std::string why;
  auto fields = parse_fields(req.param("fields"), why);
  if (!fields) {
    error = graph_error(400, 2500, why);
    return std::nullopt;
  }
  if (auto bad = check_fields(*fields, node, nested); !bad.empty()) {
    error = graph_error(400, 100, bad, std::nullopt, "IGApiException");
    return std::nullopt;
  }
  return fields;
}

/// Everything an item needs besides the post itself.
struct item_context {
  const app& a;
  std::string base;
  std::int64_t now_ms;
  const account& who;
};

std::string shortcode_of(const std::string& id) {
  return "C0" + base64url_encode(id).substr(0, 9);
}

std::string product_type_of(const media& m) {
  return m.media_type == "VIDEO" ? "REELS" : "FEED";
}

json child_item(const item_context& c, const media& post, std::size_t index,
                const field_list& fields) {
  const auto& child_id = post.children[index];
  bool video = child_is_video(post, index);
  json item = json::object();
  item["id"] = child_id;
  media_file file{child_id, video ? file_kind::video : file_kind::image};
  for (const auto& f : fields) {
    const auto& n = f.name;
    if (n == "media_type") {
      item[n] = video ? "VIDEO" : "IMAGE";
    } else if (n == "media_url") {
      if (!post.no_media_url) {
        item[n] = cdn_url(c.a, c.base, file);
      }
    } else if (n == "thumbnail_url") {
      if (video) {
        item[n] = cdn_url(c.a, c.base, {child_id, file_kind::thumbnail});
      }
    } else if (n == "timestamp") {
      item[n] = graph_timestamp(post.created_time);
    } else if (n == "username") {
      item[n] = c.who.username;
    } else if (n == "shortcode") {
      item[n] = shortcode_of(child_id);
    } else if (n == "owner") {
      item[n] = {{"id", c.who.id}};
    } else if (n == "media_product_type") {
      item[n] = "CAROUSEL_ITEM";
    }
    // permalink, caption and the counts are not available on children.
  }
  return item;
}

json children_of(const item_context& c, const media& post, const field_list& fields) {
  json data = json::array();
  for (std::size_t i = 0; i < post.children.size(); ++i) {
    data.push_back(child_item(c, post, i, fields));
  }
  return {{"data", data}};
}

json graph_item(const item_context& c, const media& m, const field_list& fields) {
  json item = json::object();
  item["id"] = m.id; // graph always answers the id
  auto files = files_of(m);
  for (const auto& f : fields) {
    const auto& n = f.name;
    if (n == "caption") {
      if (m.caption && m.caption_shown(c.now_ms)) {
        item[n] = *m.caption;
      }
    } else if (n == "media_type") {
      item[n] = m.media_type;
    } else if (n == "media_url") {
      // A carousel's media_url is its first child's; copyrighted media has none.
      if (!m.no_media_url && !files.empty()) {
        item[n] = cdn_url(c.a, c.base, files.front());
      }
    } else if (n == "thumbnail_url") {
      if (m.media_type == "VIDEO") {
        item[n] = cdn_url(c.a, c.base, {m.id, file_kind::thumbnail});
      }
    } else if (n == "permalink") {
      item[n] = c.base + "/p/" + m.id;
    } else if (n == "timestamp") {
      item[n] = graph_timestamp(m.created_time);
    } else if (n == "username") {
      item[n] = c.who.username;
    } else if (n == "media_product_type") {
      item[n] = product_type_of(m);
    } else if (n == "shortcode") {
      item[n] = shortcode_of(m.id);
    } else if (n == "like_count" || n == "comments_count") {
      item[n] = 0;
    } else if (n == "is_comment_enabled") {
      item[n] = true;
    } else if (n == "is_shared_to_feed") {
      if (product_type_of(m) == "REELS") {
        item[n] = true;
      }
    } else if (n == "owner") {
      item[n] = {{"id", c.who.id}};
    } else if (n == "children") {
      if (m.media_type == "CAROUSEL_ALBUM") {
        item[n] = children_of(c, m, f.expanded ? f.nested : field_list{});
      }
    } else if (n == "comments" || n == "collaborators") {
      item[n] = {{"data", json::array()}};
    }
    // alt_text, boost_eligibility_info, copyright_check_information and
    // legacy_instagram_media_id have no value here: graph omits such fields.
  }
  return item;
}

reply ordered_reply(const json& body) {
  reply r;
  r.content_type = "application/json; charset=UTF-8";
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

std::string version_prefix(const request& req) {
  return req.api_version.empty() ? std::string() : "/" + req.api_version;
}

reply user_node_reply(app& a, const request& req, const account& who) {
  reply error;
  auto fields = requested_fields(req, user_node, nullptr, error);
  if (!fields) {
    return error;
  }
  // `id` is the app-scoped id; `user_id` the professional account id webhooks carry.
  json body = json::object();
  for (const auto& f : *fields) {
    const auto& n = f.name;
    if (n == "user_id") {
      body[n] = who.id;
    } else if (n == "username" || n == "name") {
      body[n] = who.username;
    } else if (n == "account_type") {
      body[n] = "BUSINESS";
    } else if (n == "profile_picture_url") {
      body[n] = a.base_url(req) + "/_fake/avatar/" + who.id + ".svg";
    } else if (n == "followers_count" || n == "follows_count") {
      body[n] = 0;
    } else if (n == "media_count") {
      body[n] = a.st.media_count(who.id);
    }
  }
  body["id"] = who.app_scoped_id;
  if (a.opts.wrapped_me) {
    // The form "Get started" documents for /me; the live API answers flat.
    return ordered_reply({{"data", json::array({body})}});
  }
  return ordered_reply(body);
}

/// The post `id` names (or whose child it is), when the caller owns it.
std::optional<media> owned_post(app& a, const caller& c, const std::string& id) {
  auto post = a.st.find_post_of(id);
  if (!post || post->account_id != c.who.id) {
    return std::nullopt;
  }
  return post;
}

} // namespace

reply handle_graph_node(app& a, const request& req, const std::string& node) {
  reply error;
  auto c = graph_auth(a, req, error);
  if (!c) {
    return error;
  }
  if (names_account(node, c->who)) {
    return user_node_reply(a, req, c->who);
  }
  auto post = owned_post(a, *c, node);
  if (!post) {
    return graph_no_object(node);
  }
  item_context ctx{a, a.base_url(req), unix_now_ms(), c->who};
  if (post->id != node) {
    // A carousel child read on its own.
    auto fields = requested_fields(req, child_node, nullptr, error);
    if (!fields) {
      return error;
    }
    auto index = static_cast<std::size_t>(
      std::find(post->children.begin(), post->children.end(), node) - post->children.begin());
    return ordered_reply(child_item(ctx, *post, index, *fields));
  }
  auto fields = requested_fields(req, media_node, &child_node, error);
  if (!fields) {
    return error;
  }
  return ordered_reply(graph_item(ctx, *post, *fields));
}

reply handle_graph_children(app& a, const request& req, const std::string& media_id) {
  reply error;
  auto c = graph_auth(a, req, error);
  if (!c) {
    return error;
  }
  auto post = owned_post(a, *c, media_id);
  if (!post || post->id != media_id) {
    return graph_no_object(media_id);
  }
  auto fields = requested_fields(req, child_node, nullptr, error);
  if (!fields) {
    return error;
  }
  item_context ctx{a, a.base_url(req), unix_now_ms(), c->who};
  if (post->media_type != "CAROUSEL_ALBUM") {
    return ordered_reply({{"data", json::array()}});
  }
  return ordered_reply(children_of(ctx, *post, *fields));
}

reply handle_graph_media(app& a, const request& req, const std::string& subject) {
  reply error;
  auto c = graph_auth(a, req, error);
  if (!c) {
    return error;
  }
  if (!names_account(subject, c->who)) {
    return graph_no_object(subject);
  }
  auto fields = requested_fields(req, media_node, &child_node, error);
  if (!fields) {
    return error;
  }
  int limit = page_size(req, "limit").value_or(default_limit);
  if (limit <= 0) {
    return graph_error(400, 100, "(#100) The parameter limit must be a positive integer.");
  }
  limit = std::min(limit, max_page);
  std::optional<std::uint64_t> before;
  if (req.has_param("after")) {
    before = cursor_seq(req.param("after"));
    if (!before) {
      return graph_error(400, 100, "(#100) Invalid cursor: " + req.param("after"));
    }
  }
  bool more = false;
  auto page = a.st.media_page(c->who.id, before, static_cast<std::size_t>(limit), more);
  auto begin = page.begin();
  auto end = page.end();
  auto base = a.base_url(req);
  item_context ctx{a, base, unix_now_ms(), c->who};
  json data = json::array();
  for (auto it = begin; it != end; ++it) {
    data.push_back(graph_item(ctx, *it, *fields));
  }
  json body = {{"data", data}};
  if (begin != end) {
    // Like graph: cursors whenever there is data, `next` only when more follows,
    // rooted where the request went (same version prefix, same subject).
    json paging = {{"cursors", {{"before", cursor_of(*begin)}, {"after", cursor_of(*(end - 1))}}}};
    if (more) {
      param_list q{{"access_token", req.param("access_token")}};
      if (req.has_param("fields")) {
        q.emplace_back("fields", req.param("fields"));
      }
      q.emplace_back("limit", std::to_string(limit));
      q.emplace_back("after", cursor_of(*(end - 1)));
      paging["next"] = base + version_prefix(req) + "/" + url_encode(subject) + "/media?"
                       + build_query(q);
    }
    body["paging"] = paging;
  }
  return ordered_reply(body);
}

} // namespace fakegram
