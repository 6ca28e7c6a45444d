#pragma once
/// @brief The media store's side of cluster mode (context::media_put and
/// media_get): a stored file is put in IGB_MEDIA before it is reported
/// stored, and a file this node has no copy of is taken from there and
/// written to media.path (atomically: temp file, fsync, rename), as if
/// downloaded here. Both block: the media store's thread calls them. On a
/// single node they do nothing and say yes / no.

#include <optional>
#include <string>

#include "igbridge/context.hpp"

namespace igbridge {

/// The bytes of media.path/name; nullopt when it cannot be read.
std::optional<std::string> read_media_file(const context& ctx, const std::string& name);

/// Puts media.path/name in IGB_MEDIA; the error, or empty when stored
/// (always on a single node).
std::string replicate_media(const context& ctx, const std::string& name);

/// Whether media.path/name exists, after taking it from IGB_MEDIA if it
/// did not (cluster mode).
bool ensure_local_media(const context& ctx, const std::string& name);

} // namespace igbridge
