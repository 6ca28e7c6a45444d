#pragma once

#include "http_types.hpp"
#include "state.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace fakegram {

/// Largest page either dialect answers.
constexpr int max_page = 100;

/// A positive page size parameter: nullopt when absent, 0 when invalid.
std::optional<int> page_size(const request& req, const char* key);

/// Graph's opaque cursor for a post (base64url of its sequence number).
std::string cursor_of(const media& m);

/// Decodes a cursor back to a sequence number; nullopt when it is not ours.
std::optional<std::uint64_t> cursor_seq(const std::string& cursor);

} // namespace fakegram
