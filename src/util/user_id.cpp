#include <cstdint>

#include "igbridge/text.hpp"

namespace igbridge {

namespace {

/// Decodes one code point at `i`; -1 when the bytes there are not UTF-8.
int32_t next_code_point(std::string_view s, std::size_t& i) {
  auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  int32_t cp = 0;
  int32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return -1;
  }
  if (i + static_cast<std::size_t>(len) > s.size()) {
    return -1;
  }
  for (int k = 1; k < len; ++k) {
    auto b = static_cast<uint8_t>(s[i + static_cast<std::size_t>(k)]);
    if ((b & 0xC0) != 0x80) {
      return -1;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return -1; // overlong, beyond Unicode, or a surrogate
  }
  i += static_cast<std::size_t>(len);
  return cp;
}

} // namespace

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    if (next_code_point(s, i) < 0) {
      return false;
    }
  }
  return true;
}

bool valid_user_id(std::string_view id) {
  if (id.empty() || id.size() > 256) {
    return false;
  }
  for (std::size_t i = 0; i < id.size();) {
    auto cp = next_code_point(id, i);
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
      return false; // not UTF-8, or a control character (C0, DEL, C1)
    }
  }
  return true;
}

} // namespace igbridge
