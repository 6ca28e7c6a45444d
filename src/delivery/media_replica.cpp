// Stored media shared by the nodes of a cluster (media_replica.hpp).

#include "delivery/media_replica.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "delivery/fd_write.hpp"
#include "igbridge/log.hpp"
#include "igbridge/media.hpp"
#include "igbridge/crypto.hpp"

namespace igbridge {

namespace {

bool exists(const std::string& path) {
  struct stat sb {};
  return ::stat(path.c_str(), &sb) == 0 && S_ISREG(sb.st_mode);
}

} // namespace

std::optional<std::string> read_media_file(const context& ctx, const std::string& name) {
  std::ifstream in(ctx.cfg.media.path + "/" + name, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) {
    return std::nullopt;
  }
  return bytes.str();
}

std::string replicate_media(const context& ctx, const std::string& name) {
  if (!ctx.media_put) {
    return {};
  }
  auto bytes = read_media_file(ctx, name);
  if (!bytes || !ctx.media_put(name, *bytes)) {
    return "not stored in the cluster (IGB_MEDIA) yet";
  }
  return {};
}

bool ensure_local_media(const context& ctx, const std::string& name) {
  const auto& dir = ctx.cfg.media.path;
  if (!valid_media_name(name)) {
    return false;
  }
  if (exists(dir + "/" + name)) {
    return true;
  }
  if (!ctx.media_get) {
    return false;
  }
  auto bytes = ctx.media_get(name);
  if (!bytes) {
    return false;
  }
  // A temp name is never served and a crash leaves it for the next start
  // to remove (media_store.cpp); renamed only once whole and synced.
  auto temp = dir + "/.tmp-replica-" + random_token();
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return false;
  }
  bool ok = write_all(fd, *bytes) && ::fdatasync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(temp.c_str(), (dir + "/" + name).c_str()) != 0) {
    ::unlink(temp.c_str());
    log(log_level::warning, "cluster.media_copy_failed", {{"file", name}});
    return false;
  }
  ctx.stats.inc("igbridge_cluster_media_copied_total");
  return true;
}

} // namespace igbridge
