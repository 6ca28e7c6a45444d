#include "igbridge/media.hpp"

#include <array>

#include <nlohmann/json.hpp>

namespace igbridge {

namespace {

using nlohmann::json;

struct known_type {
  std::string_view ext;
  std::string_view content_type;
  bool video;
};

// What we store. Anything else (an HTML error page served with 200, a
// truncated file) is refused, whatever the URL or the Content-Type claimed.
constexpr std::array<known_type, 6> known_types{{
  {"jpg", "image/jpeg", false},
  {"png", "image/png", false},
  {"gif", "image/gif", false},
  {"webp", "image/webp", false},
  {"mp4", "video/mp4", true},
  {"mov", "video/quicktime", true},
}};

std::string text(const json& j, const char* key) {
  auto i = j.find(key);
  return i != j.end() && i->is_string() ? i->get<std::string>() : std::string{};
}

bool starts(std::string_view bytes, std::string_view prefix) {
  return bytes.substr(0, prefix.size()) == prefix;
}

std::optional<media_kind> kind_of(std::string_view ext) {
  for (const auto& t : known_types) {
    if (t.ext == ext) {
      return media_kind{std::string(t.content_type), std::string(t.ext), t.video};
    }
  }
  return std::nullopt;
}

} // namespace

std::vector<media_source> media_sources(const json& record) {
  std::vector<media_source> out;
  if (!record.is_object()) {
    return out;
  }
  auto add = [&out](std::string type, std::string url) {
    if (!url.empty()) {
      out.push_back({std::move(type), std::move(url)});
    }
  };
  auto type = text(record, "media_type");
  if (type == "CAROUSEL_ALBUM") {
    auto children = record.find("children");
    if (children != record.end() && children->is_array()) {
      for (const auto& c : *children) {
        if (!c.is_object()) {
          continue;
        }
        auto url = text(c, "media_url");
        if (!url.empty()) {
          add(text(c, "media_type") == "VIDEO" ? "VIDEO" : "IMAGE", url);
        } else {
          add("IMAGE", text(c, "thumbnail_url"));
        }
      }
      return out;
    }
  }
  if (type == "VIDEO") {
    add("VIDEO", text(record, "media_url"));
    add("IMAGE", text(record, "thumbnail_url"));
    return out;
  }
  add("IMAGE", text(record, "media_url"));
  return out;
}

std::vector<media_source> refreshed_sources(const json& record, const media_item& fresh) {
  if (!record.is_object()) {
    return {};
  }
  auto merged = record;
  auto set = [](json& obj, const char* key, const std::string& url) {
    if (url.empty()) {
      obj.erase(key);
    } else {
      obj[key] = url;
    }
  };
  set(merged, "media_url", fresh.media_url);
  set(merged, "thumbnail_url", fresh.thumbnail_url);
  auto children = merged.find("children");
  if (children != merged.end() && children->is_array()) {
    for (auto& c : *children) {
      if (!c.is_object()) {
        continue;
      }
      auto id = text(c, "id");
      const media_child* found = nullptr;
      for (const auto& f : fresh.children) {
        if (!id.empty() && f.id == id) {
          found = &f;
        }
      }
      set(c, "media_url", found ? found->media_url : std::string());
      set(c, "thumbnail_url", found ? found->thumbnail_url : std::string());
    }
  }
  return media_sources(merged);
}

int64_t url_expiry(std::string_view url) {
  auto q = url.find('?');
  if (q == std::string_view::npos) {
    return 0;
  }
  auto query = url.substr(q + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.substr(0, 3) != "oe=") {
      continue;
    }
    auto hex = pair.substr(3);
    if (hex.empty() || hex.size() > 15) {
      return 0;
    }
    int64_t v = 0;
    for (char c : hex) {
      int d = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (d < 0) {
        return 0;
      }
      v = v * 16 + d;
    }
    return v;
  }
  return 0;
}

std::optional<media_kind> sniff_media(std::string_view b) {
  if (starts(b, "\xFF\xD8\xFF")) {
    return kind_of("jpg");
  }
  if (starts(b, "\x89PNG\r\n\x1A\n")) {
    return kind_of("png");
  }
  if (starts(b, "GIF87a") || starts(b, "GIF89a")) {
    return kind_of("gif");
  }
  if (b.size() >= 12 && starts(b, "RIFF") && b.substr(8, 4) == "WEBP") {
    return kind_of("webp");
  }
  // ISO base media: a box size, then "ftyp" and the major brand.
  if (b.size() >= 12 && b.substr(4, 4) == "ftyp") {
    return b.substr(8, 2) == "qt" ? kind_of("mov") : kind_of("mp4");
  }
  return std::nullopt;
}

bool valid_media_name(std::string_view name) {
  if (name.size() < 66 || name[64] != '.') {
    return false;
  }
  for (std::size_t i = 0; i < 64; ++i) {
    char c = name[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return kind_of(name.substr(65)).has_value();
}

std::string media_content_type(std::string_view name) {
  auto dot = name.rfind('.');
  auto k = dot == std::string_view::npos ? std::nullopt : kind_of(name.substr(dot + 1));
  return k ? k->content_type : "application/octet-stream";
}

std::string media_name(const stored_media& m) {
  for (const auto& t : known_types) {
    if (t.content_type == m.content_type) {
      return m.sha256 + "." + std::string(t.ext);
    }
  }
  return m.sha256 + ".bin";
}

json to_json(const stored_media& m) {
  return json{{"type", m.type},
              {"url", m.url},
              {"sha256", m.sha256},
              {"content_type", m.content_type},
              {"bytes", m.bytes}};
}

std::optional<stored_media> stored_media_from_json(const json& j) {
  if (!j.is_object()) {
    return std::nullopt;
  }
  stored_media m;
  m.type = text(j, "type");
  m.url = text(j, "url");
  m.sha256 = text(j, "sha256");
  m.content_type = text(j, "content_type");
  auto b = j.find("bytes");
  m.bytes = b != j.end() && b->is_number_unsigned() ? b->get<uint64_t>() : 0;
  if (!valid_media_name(media_name(m))) {
    return std::nullopt;
  }
  return m;
}

} // namespace igbridge
