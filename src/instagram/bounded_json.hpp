#pragma once
/// @brief JSON parsing for hostile bodies: bounded size and nesting depth.

#include <string_view>

#include <nlohmann/json.hpp>

namespace igbridge::detail {

/// Bodies above this are refused before parsing.
constexpr std::size_t max_body_size = 1024 * 1024;
/// Far deeper than any payload of ours; bounds memory and destructor work.
constexpr int max_json_depth = 32;

/// Parses `text`; a discarded value when it is too large, not JSON, or
/// nested deeper than max_json_depth.
nlohmann::json parse_bounded(std::string_view text);

} // namespace igbridge::detail
