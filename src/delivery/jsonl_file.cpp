// The JSONL sink's file, on a thread of its own: appending a batch and
// fsyncing it blocks, and no CAF worker may wait on a disk. One fsync per
// batch; the delivery actor drops the batch from the outbox only after this
// answered, so a crash in between redelivers it (at-least-once, keyed by
// record id).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <caf/all.hpp>

#include "core/keep_running.hpp"
#include "delivery/fd_write.hpp"

#include "igbridge/actors.hpp"
#include "igbridge/log.hpp"

namespace igbridge {

namespace {

struct file_sink_state {
  context_ptr ctx;
  int fd = -1;
  static inline const char* name = "igbridge.file_sink";
  ~file_sink_state() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

using file_sink_self = file_sink_actor::stateful_pointer<file_sink_state>;

/// A crash in the middle of an append can leave a partial last line. Its
/// records are still in the outbox (they leave it only after the fsync), so
/// cut the fragment off rather than glue the next line onto it.
void drop_torn_tail(int fd, const std::string& path) {
  struct stat sb {};
  if (::fstat(fd, &sb) != 0 || sb.st_size == 0) {
    return;
  }
  char last = 0;
  if (::pread(fd, &last, 1, sb.st_size - 1) != 1 || last == '\n') {
    return;
  }
  off_t end = sb.st_size - 1; // the torn byte itself is not a newline
  off_t keep = 0;
  char buf[4096];
  while (end > 0 && keep == 0) {
    off_t start = std::max<off_t>(0, end - static_cast<off_t>(sizeof buf));
    auto n = ::pread(fd, buf, static_cast<std::size_t>(end - start), start);
    if (n <= 0) {
      return; // cannot tell: leave the file alone
    }
    for (auto i = n; i > 0; --i) {
      if (buf[i - 1] == '\n') {
        keep = start + i;
        break;
      }
    }
    end = start;
  }
  if (::ftruncate(fd, keep) == 0) {
    ::fsync(fd);
    log(log_level::warning, "sink.torn_line_dropped",
        {{"path", path}, {"bytes", std::to_string(sb.st_size - keep)}});
  }
}

std::string open_file(file_sink_state& st) {
  if (st.fd >= 0) {
    return {};
  }
  const auto& path = st.ctx->cfg.sink.path;
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
  }
  st.fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (st.fd < 0) {
    auto why = std::string("cannot open sink file: ") + std::strerror(errno);
    log(log_level::error, "sink.open_failed", {{"path", path}, {"error", why}});
    return why;
  }
  drop_torn_tail(st.fd, path);
  return {};
}


file_sink_actor::behavior_type file_sink_fn(file_sink_self self, context_ptr ctx) {
  self->state.ctx = std::move(ctx);
  keep_running(self, "file_sink");
  return {
    [=](append_atom, const jsonl_batch& batch) -> std::string {
      auto& st = self->state;
      if (auto why = open_file(st); !why.empty()) {
        return why;
      }
      auto before = ::lseek(st.fd, 0, SEEK_END);
      if (!write_all(st.fd, batch.lines) || ::fsync(st.fd) != 0) {
        auto why = std::string("write failed: ") + std::strerror(errno);
        // The batch goes again later: take back what of it was written (a
        // full disk stops a batch halfway), then reopen next time.
        if (before >= 0 && ::ftruncate(st.fd, before) == 0) {
          ::fsync(st.fd);
        }
        ::close(st.fd);
        st.fd = -1;
        return why;
      }
      return {};
    },
  };
}

} // namespace

file_sink_actor spawn_file_sink(caf::actor_system& sys, context_ptr ctx, bool detached) {
  if (detached) {
    return sys.spawn<caf::detached>(file_sink_fn, std::move(ctx));
  }
  return sys.spawn(file_sink_fn, std::move(ctx));
}

} // namespace igbridge
