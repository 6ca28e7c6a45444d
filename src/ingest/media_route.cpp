#include "ingest/media_route.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "igbridge/media.hpp"

namespace igbridge {

namespace {

constexpr std::string_view prefix = "/media/";

http_response plain(int status, std::string text) {
  http_response r;
  r.status = status;
  r.headers = {{"content-type", "text/plain; charset=utf-8"}};
  r.body = std::move(text);
  return r;
}

/// One byte range of a `size`-byte file (RFC 9110 §14.1.2): "bytes=a-b",
/// "bytes=a-" or "bytes=-n". Several ranges are answered whole instead.
struct byte_range {
  uint64_t first = 0;
  uint64_t last = 0;
};

std::optional<uint64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  uint64_t n = 0;
  for (char c : s) {
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

/// nullopt + `bad` false: no usable Range (answer whole); `bad`: 416.
std::optional<byte_range> parse_range(std::string_view h, uint64_t size, bool& bad) {
  bad = false;
  if (h.substr(0, 6) != "bytes=" || h.find(',') != std::string_view::npos) {
    return std::nullopt;
  }
  auto spec = h.substr(6);
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) {
    return std::nullopt;
  }
  auto a = spec.substr(0, dash);
  auto b = spec.substr(dash + 1);
  if (a.empty()) {
    auto n = number(b);
    if (!n || *n == 0 || size == 0) {
      bad = n.has_value();
      return std::nullopt;
    }
    return byte_range{size - std::min(*n, size), size - 1};
  }
  auto first = number(a);
  if (!first) {
    return std::nullopt;
  }
  if (*first >= size) {
    bad = true;
    return std::nullopt;
  }
  auto last = size - 1;
  if (!b.empty()) {
    auto l = number(b);
    if (!l || *l < *first) {
      return std::nullopt;
    }
    last = std::min(*l, size - 1);
  }
  return byte_range{*first, last};
}

bool read_at(int fd, std::string& out, uint64_t off, uint64_t n) {
  out.resize(static_cast<std::size_t>(n));
  std::size_t done = 0;
  while (done < n) {
    auto r = ::pread(fd, out.data() + done, static_cast<std::size_t>(n) - done,
                     static_cast<off_t>(off + done));
    if (r <= 0) {
      return false;
    }
    done += static_cast<std::size_t>(r);
  }
  return true;
}

} // namespace

http_response serve_media(const http_request& req, const std::string& dir) {
  auto path = req.target.substr(0, req.target.find('?'));
  if (path.compare(0, prefix.size(), prefix) != 0) {
    return plain(404, "not found\n");
  }
  auto name = path.substr(prefix.size());
  if (!valid_media_name(name)) {
    return plain(404, "not found\n");
  }
  if (req.method != "GET" && req.method != "HEAD") {
    auto r = plain(405, "method not allowed\n");
    r.headers.emplace_back("allow", "GET, HEAD");
    return r;
  }
  int fd = ::open((dir + "/" + name).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return plain(404, "not found\n");
  }
  struct stat sb {};
  if (::fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    ::close(fd);
    return plain(404, "not found\n");
  }
  auto size = static_cast<uint64_t>(sb.st_size);
  auto etag = "\"" + name.substr(0, 64) + "\"";
  http_response r;
  r.headers = {{"content-type", media_content_type(name)},
               {"etag", etag},
               {"cache-control", "public, max-age=31536000, immutable"},
               {"accept-ranges", "bytes"},
               {"x-content-type-options", "nosniff"}};
  if (header_value(req.headers, "If-None-Match") == etag) {
    ::close(fd);
    r.status = 304;
    return r;
  }
  bool bad = false;
  auto range = parse_range(header_value(req.headers, "Range"), size, bad);
  if (bad) {
    ::close(fd);
    r.status = 416;
    r.headers.emplace_back("content-range", "bytes */" + std::to_string(size));
    return r;
  }
  uint64_t first = range ? range->first : 0;
  uint64_t count = range ? range->last - range->first + 1 : size;
  bool ok = read_at(fd, r.body, first, count); // HEAD too: the listener drops the body
  ::close(fd);
  if (!ok) {
    return plain(500, "read failed\n");
  }
  r.status = range ? 206 : 200;
  if (range) {
    r.headers.emplace_back("content-range", "bytes " + std::to_string(range->first) + "-"
                                              + std::to_string(range->last) + "/"
                                              + std::to_string(size));
  }
  return r;
}

} // namespace igbridge
