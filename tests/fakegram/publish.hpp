#pragma once

#include "app.hpp"

#include <optional>
#include <string>
#include <vector>

namespace fakegram {

/// What a fake post is made of (control API and demo page).
struct post_request {
  std::optional<std::string> caption;
  std::optional<std::vector<std::string>> tags; ///< default: hashtags of the caption
  std::string media_type = "IMAGE";             ///< IMAGE, VIDEO, CAROUSEL_ALBUM (any case)
  std::optional<std::int64_t> created_time;     ///< default: now
  std::optional<std::vector<std::string>> children; ///< carousel children's media types
                                                    ///< (IMAGE|VIDEO, 2-10; default 2 images)
  std::int64_t caption_after_ms = 0;            ///< caption (and tags) appear this much later
  bool no_media_url = false;                    ///< answers omit media_url
  std::optional<std::uint64_t> video_bytes;     ///< VIDEO: about this many bytes (large files)
};

/// Stores the post and queues its update when the dialect has one. nullopt:
/// unknown account, or `error` says what is wrong with the request.
std::optional<media> publish_media(app& a, const std::string& account_id, const post_request& p,
                                   std::string& error);

} // namespace fakegram
