#pragma once
// GET /media/{sha256}.{ext}: the stored copies, answered on the listener's
// thread from the file (a page-cache read, no actor round trip).

#include <string>

#include "igbridge/http_types.hpp"

namespace igbridge {

/// Answers `req` for the file named after "/media/" in its path, from
/// `dir`; only valid media names ever become a path.
http_response serve_media(const http_request& req, const std::string& dir);

} // namespace igbridge
