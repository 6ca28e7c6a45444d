#pragma once

#include "app.hpp"
#include "http_types.hpp"
#include "media_files.hpp"

#include <optional>
#include <string>

namespace fakegram {

/// A signed URL for `f` on fakegram's CDN, valid --media-url-ttl-s from now:
/// `{base}/cdn/{media id}/{kind}.{ext}?_nc_sid=…&oh=00_<signature>&oe=<HEX unix expiry>`,
/// shaped like Instagram's (scontent…/…?oh=…&oe=…).
std::string cdn_url(const app& a, const std::string& base, const media_file& f);

/// The account whose post a /cdn/… path serves ("" when the path names none).
std::string cdn_account(const app& a, const std::string& path);

/// GET|HEAD /cdn/…: the file while its URL is valid; 403 "URL signature
/// expired" after `oe`, 403 "URL signature mismatch" for a tampered URL, as
/// Instagram's CDN answers. `injected` is a pending cdn fault, if any.
reply handle_cdn(app& a, const request& req, const std::optional<fault>& injected);

} // namespace fakegram
