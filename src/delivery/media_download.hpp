#pragma once
// A media download's body on its way to media.path: the HTTP client hands
// it the pieces as they arrive (on an asio thread, never a CAF worker) and
// it appends them to a temporary file, hashing on the way and keeping the
// first bytes for sniffing. So a download costs one buffer of memory, not
// its file's size. The media store later syncs the file and renames it to
// its content-addressed name (media_store.cpp), or removes it.

#include <cstdint>
#include <string>
#include <string_view>

#include "igbridge/crypto.hpp"
#include "igbridge/http_types.hpp"
#include "igbridge/messages.hpp"

namespace igbridge {

class media_download_sink final : public body_sink {
public:
  /// Temp files go to `dir` as ".tmp-dl-<random>" (removed at start-up
  /// when a crash left them); a body over `max_bytes` is refused.
  media_download_sink(std::string dir, uint64_t max_bytes);
  ~media_download_sink() override;
  media_download_sink(const media_download_sink&) = delete;
  media_download_sink& operator=(const media_download_sink&) = delete;

  std::string write(std::string_view piece) override;
  void finish(bool complete) override;

  /// After finish(true): the file and what the store needs to know of it.
  /// The temp file is the caller's from then on (commit or discard it).
  media_download result() const;

  /// Why write() refused a piece (our disk or media.max_bytes, not the
  /// CDN), or empty.
  const std::string& error() const { return error_; }

private:
  std::string open_file();
  void discard();

  std::string dir_;
  uint64_t max_bytes_;
  std::string path_;
  int fd_ = -1;
  uint64_t bytes_ = 0;
  std::string head_;
  sha256_stream hash_;
  std::string sha256_hex_;
  std::string error_;
};

} // namespace igbridge
