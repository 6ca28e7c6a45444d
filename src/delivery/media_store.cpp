// The media store: downloaded files kept content-addressed under
// media.path as "<sha256>.<ext>", on a thread of its own because fsync
// blocks and no CAF worker may wait on a disk.
//
// Downloads arrive as temp files, written as their bodies came in by the
// HTTP client's threads (media_download.cpp). A temp name (".tmp-…") is
// never a valid media name, so never served. Files that arrive while a
// batch syncs make the next batch (group commit, as the writer does for
// LMDB): each batch starts the write-back of all its files, fsyncs each,
// renames each to its final name and fsyncs the directory once; only then
// is any of them reported stored. A crash leaves at most temp files, which
// the next start removes. The same bytes are stored once.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>

#include <caf/all.hpp>

#include "core/keep_running.hpp"
#include "delivery/media_replica.hpp"
#include "ingest/media_route.hpp"

#include "igbridge/actors.hpp"
#include "igbridge/log.hpp"
#include "igbridge/media.hpp"

namespace igbridge {

namespace {

namespace fs = std::filesystem;

/// The temp names media_download_sink gives; nothing else is ever
/// renamed or removed on a caller's word.
constexpr std::string_view temp_prefix = "/.tmp-dl-";

struct pending_commit {
  media_download file;
  caf::typed_response_promise<media_file> rp;
  media_file out;
  int fd = -1;
  bool to_rename = false; // synced, renamed below
};

/// Threads that run the items of a job together with the caller: run()
/// returns once every item ran. Made for fsyncs, which wait on the disk
/// and gain from being issued together (see sync_all).
class sync_pool {
public:
  explicit sync_pool(std::size_t helpers) {
    for (std::size_t i = 0; i < helpers; ++i) {
      try {
        threads_.emplace_back([this] { serve(); });
      } catch (const std::system_error&) {
        break; // fewer helpers; the caller does the rest
      }
    }
  }

  ~sync_pool() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) {
      t.join();
    }
  }

  sync_pool(const sync_pool&) = delete;
  sync_pool& operator=(const sync_pool&) = delete;

  /// Calls f(0) … f(n - 1), each once, on the helpers and this thread.
  void run(std::size_t n, const std::function<void(std::size_t)>& f) {
    if (n == 0) {
      return;
    }
    {
      std::lock_guard<std::mutex> guard{mtx_};
      job_ = &f;
      size_ = n;
      next_ = 0;
      left_ = n;
      ++generation_;
    }
    if (n > 1) {
      wake_.notify_all();
    }
    work();
    std::unique_lock<std::mutex> lock{mtx_};
    done_.wait(lock, [this] { return left_ == 0; });
    job_ = nullptr;
  }

private:
  /// Takes items of the current job until none is left.
  void work() {
    for (;;) {
      const std::function<void(std::size_t)>* f = nullptr;
      std::size_t i = 0;
      {
        std::lock_guard<std::mutex> guard{mtx_};
        if (job_ == nullptr || next_ >= size_) {
          return;
        }
        f = job_;
        i = next_++;
      }
      (*f)(i);
      std::lock_guard<std::mutex> guard{mtx_};
      if (--left_ == 0) {
        done_.notify_one();
      }
    }
  }

  void serve() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock{mtx_};
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) {
          return;
        }
        seen = generation_;
      }
      work();
    }
  }

  std::mutex mtx_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(std::size_t)>* job_ = nullptr;
  std::size_t size_ = 0;
  std::size_t next_ = 0;
  std::size_t left_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

/// fsyncs in flight at once, the store's thread included.
constexpr std::size_t sync_width = 8;

struct media_store_state {
  context_ptr ctx;
  std::unique_ptr<sync_pool> pool; // made on the store's own thread, ended with it
  std::vector<pending_commit> pending;
  bool flush_pending = false;
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

bool is_temp_of(const std::string& dir, const std::string& path) {
  return path.size() > dir.size() + temp_prefix.size() && path.compare(0, dir.size(), dir) == 0
         && path.compare(dir.size(), temp_prefix.size(), temp_prefix) == 0
         && path.find('/', dir.size() + 1) == std::string::npos;
}

bool is_sha256_hex(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

/// Checks one download and names it; sets `out.error` when it is refused.
void check(const context& ctx, const media_download& d, media_file& out) {
  const auto& dir = ctx.cfg.media.path;
  if (d.bytes == 0 || d.temp_path.empty()) {
    out.error = "empty media file";
  } else if (!is_temp_of(dir, d.temp_path) || !is_sha256_hex(d.sha256)) {
    out.error = "not a download of this store";
  } else if (d.bytes > static_cast<uint64_t>(ctx.cfg.media.max_bytes)) {
    out.error = "media file larger than media.max_bytes";
  } else if (auto kind = sniff_media(d.head); !kind) {
    out.error = "not an image or video we keep (unknown file signature)";
  } else {
    out.name = d.sha256 + "." + kind->ext;
    out.content_type = kind->content_type;
    out.bytes = d.bytes;
  }
}

/// fdatasyncs (and closes) the batch's open files. Each fsync ends with a
/// flush of the disk's cache, and one after the other they cost a flush
/// each (0.9 ms per 12 KB file on the project's VM, 3 ms when its disk is
/// busy); issued together, the block layer merges their flushes (0.16 ms
/// per file with 8 at once). So the store's thread and the pool's share
/// the batch's files.
void sync_all(sync_pool& pool, std::vector<pending_commit>& batch) {
  std::vector<pending_commit*> open;
  for (auto& c : batch) {
    if (c.fd >= 0) {
      open.push_back(&c);
    }
  }
  pool.run(open.size(), [&open](std::size_t i) {
    auto& c = *open[i];
    if (::fdatasync(c.fd) != 0) {
      c.out.error = errno_text("fsync");
      c.to_rename = false;
    }
    ::close(c.fd);
    c.fd = -1;
  });
}

/// Syncs, renames and reports every download of the batch (see the top).
void commit_batch(media_store_self self) {
  auto& st = self->state;
  st.flush_pending = false;
  auto batch = std::move(st.pending);
  st.pending.clear();
  const auto& dir = st.ctx->cfg.media.path;
  auto started = std::chrono::steady_clock::now();
  std::set<std::string> named; // final names this batch writes
  for (auto& c : batch) {
    check(*st.ctx, c.file, c.out);
    if (!c.out.error.empty()) {
      continue;
    }
    struct stat sb {};
    auto final_path = dir + "/" + c.out.name;
    bool stored_before =
      ::stat(final_path.c_str(), &sb) == 0 && static_cast<uint64_t>(sb.st_size) == c.out.bytes;
    if (named.count(c.out.name) != 0 || stored_before) {
      continue; // the same bytes, stored before or by this batch: the temp goes
    }
    c.fd = ::open(c.file.temp_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (c.fd < 0) {
      c.out.error = errno_text("open");
      continue;
    }
    // Start every file's write-back first: the fsyncs below then mostly
    // wait for writes already under way.
    ::sync_file_range(c.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    named.insert(c.out.name);
    c.to_rename = true;
  }
  sync_all(*st.pool, batch);
  bool renamed_any = false;
  for (auto& c : batch) {
    if (c.to_rename) {
      if (::rename(c.file.temp_path.c_str(), (dir + "/" + c.out.name).c_str()) != 0) {
        c.out.error = errno_text("rename");
        c.to_rename = false;
      } else {
        renamed_any = true;
      }
    }
    if (!c.to_rename && !c.file.temp_path.empty() && is_temp_of(dir, c.file.temp_path)) {
      ::unlink(c.file.temp_path.c_str()); // refused, failed, or a duplicate
    }
  }
  if (renamed_any && !fsync_dir(dir)) {
    auto why = errno_text("fsync directory");
    for (auto& c : batch) {
      if (c.to_rename) {
        c.out.error = why;
      }
    }
  }
  // Cluster mode: in IGB_MEDIA too before anyone hears it is stored, so
  // the import that names it can be served by any node.
  for (auto& c : batch) {
    if (c.out.error.empty() && !c.out.name.empty()) {
      c.out.error = replicate_media(*st.ctx, c.out.name);
    }
  }
  auto& stats = st.ctx->stats;
  stats.inc("igbridge_media_store_batches_total");
  stats.observe("igbridge_media_store_batch_duration_seconds", {},
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  for (auto& c : batch) {
    if (!c.out.error.empty()) {
      log(log_level::warning, "media.store_failed", {{"error", c.out.error}});
    }
    c.rp.deliver(std::move(c.out));
  }
}

std::string load_bytes(const context& ctx, const std::string& name) {
  if (!ensure_local_media(ctx, name)) {
    return {};
  }
  return read_media_file(ctx, name).value_or(std::string());
}

/// Temp files of writes and downloads a crash interrupted.
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
  std::error_code ec;
  fs::create_directories(self->state.ctx->cfg.media.path, ec);
  remove_leftovers(self->state.ctx->cfg.media.path);
  self->state.pool = std::make_unique<sync_pool>(sync_width - 1);
  return {
    [=](commit_atom, media_download& d) -> caf::typed_response_promise<media_file> {
      auto& st = self->state;
      auto rp = self->make_response_promise<media_file>();
      st.pending.push_back({std::move(d), rp, {}, -1, false});
      // Commits after every download already in the mailbox joined the batch.
      if (!st.flush_pending) {
        st.flush_pending = true;
        self->send(self, flush_atom::value);
      }
      return rp;
    },
    [=](flush_atom) { commit_batch(self); },
    [=](discard_atom, const std::string& temp_path) {
      if (is_temp_of(self->state.ctx->cfg.media.path, temp_path)) {
        ::unlink(temp_path.c_str());
      }
    },
    [=](load_atom, const std::string& name) -> std::string {
      return load_bytes(*self->state.ctx, name);
    },
    // Cluster mode: GET /media/<name> for a file this node has no copy of
    // (another node stored it): copied from IGB_MEDIA, then served.
    [=](inbound& in) {
      const auto& ctx = *self->state.ctx;
      auto path = in.request.target.substr(0, in.request.target.find('?'));
      ensure_local_media(ctx, path.substr(path.rfind('/') + 1));
      in.reply->respond(serve_media(in.request, ctx.cfg.media.path));
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
