/// A tiny PNG writer for fakegram's CDN: real image bytes without zlib. Every
/// piece is from the specs (PNG: RFC 2083, zlib: RFC 1950, deflate: RFC 1951):
/// chunks are length + type + data + CRC-32; IDAT carries a zlib stream whose
/// deflate blocks are "stored" (BTYPE 00), each at most 65535 bytes.

#include "png.hpp"

#include <array>

namespace fakegram {

namespace {

constexpr std::size_t max_stored_block = 65535;

const std::array<std::uint32_t, 256>& crc_table() {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) {
        c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      }
      t[n] = c;
    }
    return t;
  }();
  return table;
}

void put_be32(std::string& out, std::uint32_t v) {
  out += static_cast<char>((v >> 24) & 0xFF);
  out += static_cast<char>((v >> 16) & 0xFF);
  out += static_cast<char>((v >> 8) & 0xFF);
  out += static_cast<char>(v & 0xFF);
}

void put_le16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>((v >> 8) & 0xFF);
}

/// One chunk: the CRC covers type and data, not the length.
void put_chunk(std::string& out, const char* type, const std::string& data) {
  put_be32(out, static_cast<std::uint32_t>(data.size()));
  std::string typed = std::string(type, 4) + data;
  out += typed;
  put_be32(out, crc32(typed));
}

/// zlib wrapper around stored deflate blocks.
std::string zlib_stored(const std::string& raw) {
  std::string z;
  // CMF 0x78 (deflate, 32 KiB window), FLG 0x01: (0x78 * 256 + 0x01) % 31 == 0.
  z += static_cast<char>(0x78);
  z += static_cast<char>(0x01);
  std::size_t pos = 0;
  do {
    std::size_t n = std::min(max_stored_block, raw.size() - pos);
    bool last = pos + n == raw.size();
    z += static_cast<char>(last ? 1 : 0); // BFINAL, BTYPE 00; the rest of the byte is padding
    put_le16(z, static_cast<std::uint16_t>(n));
    put_le16(z, static_cast<std::uint16_t>(~n & 0xFFFF));
    z.append(raw, pos, n);
    pos += n;
  } while (pos < raw.size());
  put_be32(z, adler32(raw));
  return z;
}

} // namespace

std::uint32_t crc32(std::string_view data, std::uint32_t crc) {
  const auto& t = crc_table();
  std::uint32_t c = crc ^ 0xFFFFFFFFu;
  for (unsigned char b : data) {
    c = t[(c ^ b) & 0xFF] ^ (c >> 8);
  }
  return c ^ 0xFFFFFFFFu;
}

std::uint32_t adler32(std::string_view data) {
  constexpr std::uint32_t mod = 65521;
  std::uint32_t a = 1;
  std::uint32_t b = 0;
  for (unsigned char c : data) {
    a = (a + c) % mod;
    b = (b + a) % mod;
  }
  return (b << 16) | a;
}

std::string encode_png(const rgb_image& img, std::string_view comment) {
  std::string out = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put_be32(ihdr, img.width);
  put_be32(ihdr, img.height);
  ihdr += static_cast<char>(8); // bit depth
  ihdr += static_cast<char>(2); // colour type: truecolour
  ihdr += static_cast<char>(0); // compression: deflate
  ihdr += static_cast<char>(0); // filter method 0
  ihdr += static_cast<char>(0); // no interlace
  put_chunk(out, "IHDR", ihdr);
  if (!comment.empty()) {
    put_chunk(out, "tEXt", std::string("Comment") + '\0' + std::string(comment));
  }
  // Each scanline starts with its filter type; 0 (None) keeps the bytes as they are.
  std::string raw;
  std::size_t stride = static_cast<std::size_t>(img.width) * 3;
  raw.reserve((stride + 1) * img.height);
  for (std::uint32_t y = 0; y < img.height; ++y) {
    raw += '\0';
    raw.append(reinterpret_cast<const char*>(img.rgb.data()) + y * stride, stride);
  }
  put_chunk(out, "IDAT", zlib_stored(raw));
  put_chunk(out, "IEND", "");
  return out;
}

} // namespace fakegram
