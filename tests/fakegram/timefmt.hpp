#pragma once

#include <cstdint>
#include <string>

namespace fakegram {

/// Seconds since the epoch, now.
std::int64_t unix_now();

/// Milliseconds since the epoch, now (delays shorter than a second, like caption_after_s).
std::int64_t unix_now_ms();

/// Graph's timestamp format: "2026-11-20T12:34:56+0000".
std::string graph_timestamp(std::int64_t unix_seconds);

} // namespace fakegram
