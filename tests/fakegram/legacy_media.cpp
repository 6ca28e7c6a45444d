/// The legacy (v1) dialect's reads: `/v1/users/{id|self}` and its
/// `/media/recent`, in the `{meta, data, pagination}` envelope. Pictures and
/// videos are files on the fake CDN, as Instagram's were (JPEG/MP4 on its CDN).

#include "media.hpp"

#include "cdn.hpp"
#include "errors.hpp"
#include "media_files.hpp"
#include "paging.hpp"
#include "timefmt.hpp"

#include <algorithm>

namespace fakegram {

namespace {

constexpr int default_count = 20;


std::string permalink(const std::string& base, const media& m) {
  return base + "/p/" + m.id;
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

nlohmann::json images_of(const std::string& url) {
  auto image = [&](int size) { return nlohmann::json{{"url", url}, {"width", size}, {"height", size}}; };
  return {{"thumbnail", image(150)}, {"low_resolution", image(306)}, {"standard_resolution", image(612)}};
}

nlohmann::json videos_of(const std::string& url) {
  return {{"standard_resolution", {{"url", url}, {"width", 612}, {"height", 612}}}};
}

nlohmann::json legacy_item(const app& a, const std::string& base, const media& m,
                           const account& who, std::int64_t now_ms) {
  bool video = m.media_type == "VIDEO";
  auto url = cdn_url(a, base, {m.id, video ? file_kind::thumbnail : file_kind::image});
  // A caption that is not shown yet is null, and so are its tags: both come late.
  bool shown = m.caption && m.caption_shown(now_ms);
  nlohmann::json caption = nullptr;
  if (shown) {
    caption = {{"id", m.caption_id},
               {"text", *m.caption},
               {"created_time", std::to_string(m.created_time)},
               {"from", {{"id", who.id}, {"username", who.username}}}};
  }
  nlohmann::json item = {{"id", m.id},
                         {"type", legacy_type(m.media_type)},
                         {"tags", m.caption_shown(now_ms) ? m.tags : std::vector<std::string>{}},
                         {"created_time", std::to_string(m.created_time)},
                         {"link", permalink(base, m)},
                         {"caption", caption},
                         {"images", images_of(url)},
                         {"user", legacy_user_json(base, who)},
                         {"filter", "Normal"},
                         {"location", nullptr},
                         {"users_in_photo", nlohmann::json::array()},
                         {"likes", {{"count", 0}}},
                         {"comments", {{"count", 0}}}};
  if (m.media_type == "VIDEO") {
    item["videos"] = videos_of(cdn_url(a, base, {m.id, file_kind::video}));
  }
  if (m.media_type == "CAROUSEL_ALBUM") {
    nlohmann::json children = nlohmann::json::array();
    for (std::size_t i = 0; i < m.children.size(); ++i) {
      const auto& child = m.children[i];
      bool child_video = child_is_video(m, i);
      auto still = cdn_url(a, base, {child, child_video ? file_kind::thumbnail : file_kind::image});
      nlohmann::json entry = {{"type", child_video ? "video" : "image"}, {"images", images_of(still)},
                              {"users_in_photo", nlohmann::json::array()}};
      if (child_video) {
        entry["videos"] = videos_of(cdn_url(a, base, {child, file_kind::video}));
      }
      children.push_back(entry);
    }
    item["carousel_media"] = children;
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
  int count = page_size(req, "count").value_or(default_count);
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
  auto now_ms = unix_now_ms();
  nlohmann::json data = nlohmann::json::array();
  for (auto it = begin; it != end; ++it) {
    data.push_back(legacy_item(a, base, *it, *who, now_ms));
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
