// Stored media in IGB_MEDIA (cluster_media.hpp), named by the SHA-256 the
// media store's file names start with.

#include "core/cluster_media.hpp"

#include "igbridge/cluster/media.hpp"
#include "igbridge/log.hpp"

namespace igbridge {

namespace {

/// "<sha256>.<ext>" → "<sha256>".
std::string_view sha_of(const std::string& name) {
  return std::string_view(name).substr(0, name.find('.'));
}

} // namespace

bool cluster_media::put(const std::string& name, std::string_view bytes) const {
  auto* link = link_.load();
  if (link == nullptr) {
    return false;
  }
  auto r = cluster::media_store(*link).put(bytes);
  if (!r.ok()) {
    log(log_level::warning, "cluster.media_put_failed", {{"file", name}, {"error", r.st.message}});
    return false;
  }
  if (r.value != sha_of(name)) {
    log(log_level::error, "cluster.media_put_failed",
        {{"file", name}, {"error", "the bytes hash to " + r.value}});
    return false;
  }
  return true;
}

std::optional<std::string> cluster_media::get(const std::string& name) const {
  auto* link = link_.load();
  if (link == nullptr) {
    return std::nullopt;
  }
  auto r = cluster::media_store(*link).get(sha_of(name));
  if (!r.ok()) {
    if (r.st.code != cluster::errc::not_found) {
      log(log_level::warning, "cluster.media_get_failed",
          {{"file", name}, {"error", r.st.message}});
    }
    return std::nullopt;
  }
  return std::move(r.value);
}

void cluster_media::remove(const std::string& name) const {
  auto* link = link_.load();
  if (link == nullptr) {
    return;
  }
  auto st = cluster::media_store(*link).remove(sha_of(name));
  if (!st.ok()) {
    log(log_level::warning, "cluster.media_remove_failed", {{"file", name}, {"error", st.message}});
  }
}

} // namespace igbridge
