#pragma once
/// @brief Media the host keeps (DESIGN §8): which files an import needs,
/// what a downloaded file really is, and how stored files are named.
/// Pure functions; the actors that download, store and serve use them.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "igbridge/records.hpp"

namespace igbridge {

/// One file to download for an import: IMAGE or VIDEO, and where from.
struct media_source {
  std::string type;
  std::string url;
};

/// The files an import record needs, in the order of its `media` array:
/// an image; a video and its thumbnail; each carousel child in order (a
/// child video without a media_url falls back to its thumbnail).
std::vector<media_source> media_sources(const nlohmann::json& record);

/// The files of `record` at the URLs of a fresh read of its post (graph
/// `GET /{media-id}`, DESIGN §9 "Media re-read"): the post's media_url and
/// thumbnail_url, and each carousel child's by its id, replace the
/// record's, then the same rules as media_sources apply. A child the fresh
/// read lacks loses its URLs, so the list comes out different.
std::vector<media_source> refreshed_sources(const nlohmann::json& record, const media_item& fresh);

/// When an Instagram CDN URL stops working: its `oe` query parameter, a
/// hexadecimal unix time. 0 when the URL has none (or a malformed one).
int64_t url_expiry(std::string_view url);

/// What the bytes are, by their signature, not by the URL: a content type
/// and the extension files of that type are stored under.
struct media_kind {
  std::string content_type;
  std::string ext;
  bool video = false;
};
std::optional<media_kind> sniff_media(std::string_view bytes);

/// "<sha256 hex>.<ext>" for a known extension, else nothing: the only
/// names ever turned into a path under media.path.
bool valid_media_name(std::string_view name);

/// The content type a stored file's extension stands for.
std::string media_content_type(std::string_view name);

/// The file name of a stored copy.
std::string media_name(const stored_media& m);

nlohmann::json to_json(const stored_media& m);
std::optional<stored_media> stored_media_from_json(const nlohmann::json& j);

} // namespace igbridge
