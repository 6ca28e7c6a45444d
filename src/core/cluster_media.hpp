#pragma once
/// @brief Stored media in cluster mode (DESIGN §9): every file the media
/// store keeps is put in IGB_MEDIA too, before the import that names it
/// can be delivered, so any node serves it, still after the node that
/// fetched it is gone; a node without a copy of a file takes it from
/// there. The calls block: they run on the media store's own thread (and
/// the writer's, for removals), never on a CAF worker.

#include <atomic>
#include <optional>
#include <string>
#include <string_view>

#include "core/shard_service.hpp"

namespace igbridge {

class cluster_media : public shard_service {
public:
  /// The link, once the node joined; nothing is stored or read before.
  void joined(cluster::cluster_link& link) override { link_.store(&link); }
  void serve(uint32_t) override {}
  void unserve(uint32_t) override {}
  /// Before the link closes: later calls fail.
  void stop() override { link_.store(nullptr); }

  /// Stores the file named `name` ("<sha256>.<ext>", as the media store
  /// names it) unless a complete copy is there. False when it could not be
  /// stored, or the bytes are not what the name says.
  bool put(const std::string& name, std::string_view bytes) const;
  /// The file's bytes; nullopt when not stored (or NATS did not answer).
  std::optional<std::string> get(const std::string& name) const;
  /// Drops the file (no import names it any more).
  void remove(const std::string& name) const;

private:
  std::atomic<cluster::cluster_link*> link_{nullptr};
};

} // namespace igbridge
