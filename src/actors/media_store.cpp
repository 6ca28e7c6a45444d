// The media store: downloaded files kept content-addressed under
// media.path as "<sha256>.<ext>", on a thread of its own because writing
// and fsyncing a video blocks and no CAF worker may wait on a disk.
//
// A file appears under its final name only whole: it is written to a
// ".tmp-" name (never a valid media name, so never served), fsynced, renamed
// and the directory fsynced. A crash leaves at most a temp file, removed at
// the next start. The same bytes are stored once.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <caf/all.hpp>

#include "keep_running.hpp"
#include "write_all.hpp"

#include "igbridge/actors.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/log.hpp"
#include "igbridge/media.hpp"

namespace igbridge {

namespace {

namespace fs = std::filesystem;

struct media_store_state {
  context_ptr ctx;
  static inline const char* name = "igbridge.media_store";
};

using media_store_self = media_store_actor::stateful_pointer<media_store_state>;

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

bool fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

/// Writes `bytes` as `dir/name`, whole or not at all.
std::string write_atomically(const std::string& dir, const std::string& name,
                             std::string_view bytes) {
  auto tmp = dir + "/.tmp-" + name + "-" + to_hex(random_bytes(4));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return errno_text("create");
  }
  if (!write_all(fd, bytes) || ::fsync(fd) != 0) {
    auto why = errno_text("write");
    ::close(fd);
    ::unlink(tmp.c_str());
    return why;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), (dir + "/" + name).c_str()) != 0) {
    auto why = errno_text("rename");
    ::unlink(tmp.c_str());
    return why;
  }
  if (!fsync_dir(dir)) {
    return errno_text("fsync directory");
  }
  return {};
}

media_file store_bytes(const context& ctx, const std::string& bytes) {
  media_file out;
  if (bytes.empty()) {
    out.error = "empty media file";
    return out;
  }
  if (bytes.size() > static_cast<uint64_t>(ctx.cfg.media.max_bytes)) {
    out.error = "media file larger than media.max_bytes";
    return out;
  }
  auto kind = sniff_media(bytes);
  if (!kind) {
    out.error = "not an image or video we keep (unknown file signature)";
    return out;
  }
  out.name = to_hex(sha256(bytes)) + "." + kind->ext;
  out.content_type = kind->content_type;
  out.bytes = bytes.size();
  const auto& dir = ctx.cfg.media.path;
  struct stat sb {};
  auto path = dir + "/" + out.name;
  if (::stat(path.c_str(), &sb) == 0 && static_cast<uint64_t>(sb.st_size) == out.bytes) {
    return out; // the same bytes, stored before
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (auto why = write_atomically(dir, out.name, bytes); !why.empty()) {
    out.error = why;
  }
  return out;
}

std::string load_bytes(const context& ctx, const std::string& name) {
  if (!valid_media_name(name)) {
    return {};
  }
  std::ifstream in(ctx.cfg.media.path + "/" + name, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// Temp files of writes a crash interrupted.
void remove_leftovers(const std::string& dir) {
  std::error_code ec;
  for (fs::directory_iterator i(dir, ec), end; !ec && i != end; i.increment(ec)) {
    auto name = i->path().filename().string();
    if (name.rfind(".tmp-", 0) == 0) {
      fs::remove(i->path(), ec);
    }
  }
}

media_store_actor::behavior_type media_store_fn(media_store_self self, context_ptr ctx) {
  self->state.ctx = std::move(ctx);
  keep_running(self, "media_store");
  remove_leftovers(self->state.ctx->cfg.media.path);
  return {
    [=](store_atom, const std::string& bytes) -> media_file {
      auto f = store_bytes(*self->state.ctx, bytes);
      if (!f.error.empty()) {
        log(log_level::warning, "media.store_failed", {{"error", f.error}});
      }
      return f;
    },
    [=](load_atom, const std::string& name) -> std::string {
      return load_bytes(*self->state.ctx, name);
    },
  };
}

} // namespace

media_store_actor spawn_media_store(caf::actor_system& sys, context_ptr ctx, bool detached) {
  if (detached) {
    return sys.spawn<caf::detached>(media_store_fn, std::move(ctx));
  }
  return sys.spawn(media_store_fn, std::move(ctx));
}

void remove_media_files(const std::string& dir, const std::vector<std::string>& names) {
  for (const auto& n : names) {
    if (valid_media_name(n)) {
      ::unlink((dir + "/" + n).c_str());
    }
  }
}

} // namespace igbridge
