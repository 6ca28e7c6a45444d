#pragma once
/// @brief Tiny text helpers shared by the parsers (hex digits, blank trimming).

#include <string_view>

namespace igbridge {

/// 0-15 for a hex digit of either case, -1 otherwise.
inline int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

/// `s` without leading and trailing spaces and tabs.
inline std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

/// App user ids: 1-256 bytes of valid UTF-8 (no overlong forms, no
/// surrogates) without control characters. Anything else is refused where
/// it enters, never stored in a lossy spelling that could merge two ids.
bool valid_user_id(std::string_view id);

/// Whether `s` is well-formed UTF-8.
bool valid_utf8(std::string_view s);

} // namespace igbridge
