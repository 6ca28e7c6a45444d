/// Hashtags as Instagram reads them from a caption.

#include "tags.hpp"

#include <algorithm>

namespace fakegram {

namespace {

bool is_tag_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_'
         || u >= 0x80;
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return s;
}

void add_unique(std::vector<std::string>& out, std::string tag) {
  if (!tag.empty() && std::find(out.begin(), out.end(), tag) == out.end()) {
    out.push_back(std::move(tag));
  }
}

} // namespace

std::vector<std::string> extract_hashtags(std::string_view caption) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < caption.size(); ++i) {
    if (caption[i] != '#' || (i > 0 && is_tag_char(caption[i - 1]))) {
      continue;
    }
    std::size_t end = i + 1;
    while (end < caption.size() && is_tag_char(caption[end])) {
      ++end;
    }
    add_unique(out, lower(std::string(caption.substr(i + 1, end - i - 1))));
    i = end - 1;
  }
  return out;
}

std::vector<std::string> normalize_tags(const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  for (const auto& tag : tags) {
    std::string_view t = tag;
    while (!t.empty() && t.front() == '#') {
      t.remove_prefix(1);
    }
    add_unique(out, lower(std::string(t)));
  }
  return out;
}

} // namespace fakegram
