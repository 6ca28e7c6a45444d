/// Page sizes and cursors shared by both dialects' media listings.

#include "paging.hpp"

#include "codec.hpp"

#include <algorithm>

namespace fakegram {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

} // namespace

std::optional<int> page_size(const request& req, const char* key) {
  if (!req.has_param(key)) {
    return std::nullopt;
  }
  auto s = req.param(key);
  if (s.empty() || s.size() > 6 || !std::all_of(s.begin(), s.end(), is_digit)) {
    return 0;
  }
  return std::stoi(s);
}

std::string cursor_of(const media& m) {
  return base64url_encode("fakegram:" + std::to_string(m.seq));
}

std::optional<std::uint64_t> cursor_seq(const std::string& cursor) {
  auto raw = base64url_decode(cursor);
  const std::string prefix = "fakegram:";
  if (!raw || raw->rfind(prefix, 0) != 0 || raw->size() == prefix.size() || raw->size() > 30) {
    return std::nullopt;
  }
  auto digits = raw->substr(prefix.size());
  if (!std::all_of(digits.begin(), digits.end(), is_digit)) {
    return std::nullopt;
  }
  return std::stoull(digits);
}

} // namespace fakegram
