#include "delivery/media_download.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "delivery/fd_write.hpp"

namespace igbridge {

namespace {

/// Enough for every signature sniff_media knows.
constexpr std::size_t head_bytes = 16;

std::string errno_text(const char* what) {
  return std::string("media file: ") + what + ": " + std::strerror(errno);
}

} // namespace

media_download_sink::media_download_sink(std::string dir, uint64_t max_bytes)
  : dir_(std::move(dir)), max_bytes_(max_bytes) {
  // nop
}

media_download_sink::~media_download_sink() {
  if (fd_ >= 0) {
    discard(); // never finished: the exchange was dropped
  }
}

std::string media_download_sink::open_file() {
  path_ = dir_ + "/.tmp-dl-" + to_hex(random_bytes(8));
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0 && errno == ENOENT) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  }
  if (fd_ < 0) {
    auto why = errno_text("create");
    path_.clear();
    return why;
  }
  return {};
}

std::string media_download_sink::write(std::string_view piece) {
  if (piece.empty()) {
    return {};
  }
  if (bytes_ + piece.size() > max_bytes_) {
    discard();
    return error_ = "media file larger than media.max_bytes";
  }
  if (fd_ < 0 && path_.empty()) {
    if (auto why = open_file(); !why.empty()) {
      return error_ = why;
    }
  }
  if (head_.size() < head_bytes) {
    head_.append(piece.substr(0, head_bytes - head_.size()));
  }
  hash_.update(piece);
  if (!write_all(fd_, piece)) {
    error_ = errno_text("write"); // a full disk shows up here (ENOSPC)
    discard();
    return error_;
  }
  bytes_ += piece.size();
  return {};
}

void media_download_sink::finish(bool complete) {
  if (!complete) {
    discard();
    return;
  }
  if (fd_ >= 0) {
    // Close now, sync later: the store fsyncs a batch of files together.
    if (::close(fd_) != 0) {
      fd_ = -1;
      discard();
      return;
    }
    fd_ = -1;
  }
  sha256_hex_ = to_hex(hash_.finish());
}

media_download media_download_sink::result() const {
  media_download d;
  d.temp_path = path_;
  d.sha256 = sha256_hex_;
  d.bytes = bytes_;
  d.head = head_;
  return d;
}

void media_download_sink::discard() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!path_.empty()) {
    ::unlink(path_.c_str());
  }
  path_.clear();
  bytes_ = 0;
}

} // namespace igbridge
