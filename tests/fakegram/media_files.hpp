#pragma once

#include "state.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fakegram {

enum class file_kind { image, video, thumbnail };

/// One downloadable file of a post: the image, the video, its thumbnail, or a
/// carousel child's image.
struct media_file {
  std::string media_id; ///< the post, or the carousel child the file belongs to
  file_kind kind = file_kind::image;
  std::uint64_t bytes = 0; ///< a video's size when its post asked for one (0: small)
};

const char* kind_name(file_kind k);       ///< "image", "video", "thumbnail"
const char* content_type_of(file_kind k); ///< "image/png" or "video/mp4"
const char* extension_of(file_kind k);    ///< "png" or "mp4"

/// Whether the carousel child at `i` is a video (else an image).
bool child_is_video(const media& m, std::size_t i);

/// Every file of a post, in the order the API exposes them: IMAGE → image;
/// VIDEO → video, thumbnail; CAROUSEL_ALBUM → each child's image, or a
/// video child's video and thumbnail.
std::vector<media_file> files_of(const media& m);

/// The file of post `m` that `f` names (with its size), if it is one of them.
std::optional<media_file> file_of(const media_file& f, const media& m);

/// The file's bytes: a real PNG or a small MP4, the same on every call, and
/// different for every (media id, kind), so SHA-256s tell files apart.
std::string file_bytes(const media_file& f);

} // namespace fakegram
