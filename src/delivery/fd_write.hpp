#pragma once
// Writing a whole buffer to a file descriptor: write(2) may write less than
// asked or be interrupted, and both callers (the JSONL sink, the media
// store) must know whether every byte reached the file before they fsync.

#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace igbridge {

inline bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    auto n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

} // namespace igbridge
