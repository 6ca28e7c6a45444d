#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fakegram {

/// A truecolour picture to encode: `rgb` holds width * height * 3 bytes, row by row.
struct rgb_image {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<std::uint8_t> rgb;
};

/// A complete PNG file (8-bit RGB, no interlace) with an optional tEXt
/// comment. The IDAT stream is zlib with stored (uncompressed) deflate blocks:
/// valid for every decoder, and no zlib to link.
std::string encode_png(const rgb_image& img, std::string_view comment = {});

/// CRC-32 (ISO-HDLC, as PNG chunks use it).
std::uint32_t crc32(std::string_view data, std::uint32_t crc = 0);

/// Adler-32 (the zlib stream trailer).
std::uint32_t adler32(std::string_view data);

} // namespace fakegram
