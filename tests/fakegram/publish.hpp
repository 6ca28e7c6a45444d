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
};

/// Stores the post and queues its update. nullopt: unknown account; `error`
/// is set for a bad media_type instead.
std::optional<media> publish_media(app& a, const std::string& account_id, const post_request& p,
                                   std::string& error);

} // namespace fakegram
