// Cutting payloads to max_payload and joining them back (chunks.hpp).

#include "igbridge/cluster/chunks.hpp"

#include <charconv>

namespace igbridge::cluster {

std::size_t chunk_budget(int64_t max_payload) {
  // A server never advertises less than a few KB; keep at least 1 KB of data.
  if (max_payload <= static_cast<int64_t>(header_room + 1024)) {
    return 1024;
  }
  return static_cast<std::size_t>(max_payload) - header_room;
}

std::vector<std::string_view> split_chunks(std::string_view data, std::size_t size) {
  std::vector<std::string_view> out;
  if (data.empty()) {
    out.emplace_back();
    return out;
  }
  for (std::size_t at = 0; at < data.size(); at += size) {
    out.push_back(data.substr(at, size));
  }
  return out;
}

std::string format_chunk_tag(chunk_tag t) {
  return std::to_string(t.index) + "/" + std::to_string(t.count);
}

std::optional<chunk_tag> parse_chunk_tag(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) {
    return std::nullopt;
  }
  chunk_tag t;
  const char* a = text.data();
  auto [p1, e1] = std::from_chars(a, a + slash, t.index);
  auto [p2, e2] = std::from_chars(a + slash + 1, a + text.size(), t.count);
  if (e1 != std::errc() || e2 != std::errc() || p1 != a + slash || p2 != a + text.size()
      || t.index >= t.count) {
    return std::nullopt;
  }
  return t;
}

void chunk_assembler::reset() {
  if (count_ != 0) {
    ++dropped_;
  }
  count_ = 0;
  data_.clear();
}

std::optional<std::string> chunk_assembler::feed(std::string_view group, chunk_tag tag,
                                                 std::string_view bytes) {
  bool continues = count_ != 0 && group == group_ && tag.count == count_ && tag.index == next_;
  if (!continues) {
    reset(); // the group in progress, if any, will never complete
    if (tag.index != 0) {
      ++dropped_; // the tail of a group whose head we never saw
      return std::nullopt;
    }
    group_ = std::string(group);
    count_ = tag.count;
  }
  data_.append(bytes);
  next_ = tag.index + 1;
  if (next_ < count_) {
    return std::nullopt;
  }
  count_ = 0;
  std::string whole;
  whole.swap(data_);
  return whole;
}

} // namespace igbridge::cluster
