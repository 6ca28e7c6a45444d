#pragma once

#include <cstdint>
#include <string>

namespace fakegram {

/// Seconds since the epoch, now.
std::int64_t unix_now();

/// Graph's timestamp format: "2026-11-20T12:34:56+0000".
std::string graph_timestamp(std::int64_t unix_seconds);

} // namespace fakegram
