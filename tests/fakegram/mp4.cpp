/// Builds fakegram's "videos": just enough ISO/IEC 14496-12 structure (boxes
/// of big-endian size + type) for content sniffing and box walkers, and
/// unique bytes per video so downloads can be told apart by their SHA-256.

#include "mp4.hpp"

#include <cstdint>

namespace fakegram {

namespace {

void put_be32(std::string& out, std::uint32_t v) {
  out += static_cast<char>((v >> 24) & 0xFF);
  out += static_cast<char>((v >> 16) & 0xFF);
  out += static_cast<char>((v >> 8) & 0xFF);
  out += static_cast<char>(v & 0xFF);
}

void put_be16(std::string& out, std::uint16_t v) {
  out += static_cast<char>((v >> 8) & 0xFF);
  out += static_cast<char>(v & 0xFF);
}

std::string box(const char* type, const std::string& payload) {
  std::string out;
  put_be32(out, static_cast<std::uint32_t>(8 + payload.size()));
  out.append(type, 4);
  out += payload;
  return out;
}

std::string ftyp() {
  std::string p = "isom";
  put_be32(p, 0x200); // minor version
  p += "isom";
  p += "iso2";
  p += "mp41";
  p += "mp42";
  return box("ftyp", p);
}

/// Movie header, version 0: one second at timescale 1000, identity matrix.
std::string mvhd() {
  std::string p;
  put_be32(p, 0);          // version 0, flags 0
  put_be32(p, 0);          // creation time
  put_be32(p, 0);          // modification time
  put_be32(p, 1000);       // timescale
  put_be32(p, 1000);       // duration
  put_be32(p, 0x00010000); // rate 1.0
  put_be16(p, 0x0100);     // volume 1.0
  p.append(10, '\0');      // reserved
  const std::uint32_t matrix[9] = {0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000};
  for (auto m : matrix) {
    put_be32(p, m);
  }
  p.append(24, '\0'); // pre_defined
  put_be32(p, 1);     // next track id
  return box("mvhd", p);
}

/// FNV-1a seeded xorshift: deterministic filler that differs per label.
std::string filler(std::string_view label, std::size_t n) {
  std::uint64_t x = 1469598103934665603ULL;
  for (unsigned char c : label) {
    x = (x ^ c) * 1099511628211ULL;
  }
  // Eight bytes per step: a 20 MiB video is made in milliseconds.
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    for (std::size_t b = 0; b < 8 && i + b < n; ++b) {
      out[i + b] = static_cast<char>((x >> (8 * b)) & 0xFF);
    }
  }
  return out;
}

} // namespace

std::string encode_mp4(std::string_view label, std::size_t payload_bytes) {
  std::string data(label);
  data += filler(label, payload_bytes);
  return ftyp() + box("moov", mvhd()) + box("mdat", data);
}

} // namespace fakegram
