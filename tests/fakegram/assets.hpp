#pragma once

#include "app.hpp"
#include "http_types.hpp"

#include <string>

namespace fakegram {

/// GET /_fake/media/{id}.svg: a generated picture showing the caption.
reply handle_media_image(app& a, const std::string& media_id);

/// GET /_fake/avatar/{id}.svg: a profile picture with the username's initial.
reply handle_avatar(app& a, const std::string& account_id);

/// GET /p/{id}: the post's "permalink" page.
reply handle_permalink(app& a, const request& req, const std::string& media_id);

} // namespace fakegram
