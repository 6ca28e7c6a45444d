#pragma once
/// @brief Time as unix seconds and its RFC 3339 spelling.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace igbridge {

int64_t unix_now();
/// "2026-11-20T12:34:56Z"; empty string for 0.
std::string rfc3339(int64_t unix_seconds);
/// Accepts "...Z", "...+0000", "...+00:00" and other offsets.
std::optional<int64_t> parse_iso8601(std::string_view s);

} // namespace igbridge
