/// What fakegram's CDN serves: generated pictures (PNG) and videos (MP4)
/// whose bytes depend only on the media id and the file kind, so a test can
/// recompute them and nothing has to be stored.

#include "media_files.hpp"

#include "mp4.hpp"
#include "png.hpp"

#include <cstdint>

namespace fakegram {

namespace {

constexpr std::uint32_t picture_side = 64;

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h = (h ^ c) * 1099511628211ULL;
  }
  return h;
}

/// Diagonal stripes in two colours taken from the id's hash; a thumbnail
/// gets a lighter picture with a "play" triangle so it reads as a video still.
std::string picture(const std::string& media_id, file_kind kind) {
  auto h = fnv1a(media_id);
  std::uint8_t r = static_cast<std::uint8_t>(h), g = static_cast<std::uint8_t>(h >> 8),
               b = static_cast<std::uint8_t>(h >> 16);
  bool thumb = kind == file_kind::thumbnail;
  rgb_image img;
  img.width = picture_side;
  img.height = picture_side;
  img.rgb.resize(static_cast<std::size_t>(picture_side) * picture_side * 3);
  for (std::uint32_t y = 0; y < picture_side; ++y) {
    for (std::uint32_t x = 0; x < picture_side; ++x) {
      bool stripe = ((x + y) / 8) % 2 == 0;
      bool play = thumb && x >= 24 && x < 44 && y >= 16 + (x - 24) / 2 && y < 48 - (x - 24) / 2;
      std::uint8_t pr = stripe ? r : static_cast<std::uint8_t>(255 - r);
      std::uint8_t pg = stripe ? g : static_cast<std::uint8_t>(255 - g);
      std::uint8_t pb = stripe ? b : static_cast<std::uint8_t>(255 - b);
      if (thumb) {
        pr = static_cast<std::uint8_t>((pr + 255) / 2);
        pg = static_cast<std::uint8_t>((pg + 255) / 2);
        pb = static_cast<std::uint8_t>((pb + 255) / 2);
      }
      if (play) {
        pr = pg = pb = 255;
      }
      auto i = (static_cast<std::size_t>(y) * picture_side + x) * 3;
      img.rgb[i] = pr;
      img.rgb[i + 1] = pg;
      img.rgb[i + 2] = pb;
    }
  }
  // The comment makes the bytes unique even when two ids hash to similar colours.
  return encode_png(img, std::string("fakegram ") + kind_name(kind) + " " + media_id);
}

} // namespace

const char* kind_name(file_kind k) {
  switch (k) {
    case file_kind::image:
      return "image";
    case file_kind::video:
      return "video";
    case file_kind::thumbnail:
      return "thumbnail";
  }
  return "image";
}

const char* content_type_of(file_kind k) {
  return k == file_kind::video ? "video/mp4" : "image/png";
}

const char* extension_of(file_kind k) {
  return k == file_kind::video ? "mp4" : "png";
}

bool child_is_video(const media& m, std::size_t i) {
  return i < m.child_types.size() && m.child_types[i] == "VIDEO";
}

std::vector<media_file> files_of(const media& m) {
  if (m.media_type == "VIDEO") {
    return {{m.id, file_kind::video, m.video_bytes}, {m.id, file_kind::thumbnail}};
  }
  if (m.media_type == "CAROUSEL_ALBUM") {
    std::vector<media_file> out;
    for (std::size_t i = 0; i < m.children.size(); ++i) {
      if (child_is_video(m, i)) {
        out.push_back({m.children[i], file_kind::video});
        out.push_back({m.children[i], file_kind::thumbnail});
      } else {
        out.push_back({m.children[i], file_kind::image});
      }
    }
    return out;
  }
  return {{m.id, file_kind::image}};
}

std::optional<media_file> file_of(const media_file& f, const media& m) {
  for (const auto& x : files_of(m)) {
    if (x.media_id == f.media_id && x.kind == f.kind) {
      return x;
    }
  }
  return std::nullopt;
}

std::string file_bytes(const media_file& f) {
  if (f.kind == file_kind::video) {
    auto label = "fakegram video " + f.media_id;
    if (f.bytes == 0) {
      return encode_mp4(label);
    }
    // Exactly the size asked for: the payload is what the boxes leave.
    auto boxes = encode_mp4(label, 0).size();
    return encode_mp4(label, f.bytes > boxes ? static_cast<std::size_t>(f.bytes - boxes) : 0);
  }
  return picture(f.media_id, f.kind);
}

} // namespace fakegram
