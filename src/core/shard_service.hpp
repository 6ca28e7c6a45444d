#pragma once
/// @brief Something a node runs per shard it serves (cluster mode): the
/// shard owner tells each service when the node joined NATS, when a shard
/// starts being served here (restored) and when it stops (before the shard
/// is dropped), and stops them all before the link closes.

#include <cstdint>

namespace igbridge {

namespace cluster {
class cluster_link;
}

class shard_service {
public:
  virtual ~shard_service() = default;
  /// The node's thread, once NATS answered.
  virtual void joined(cluster::cluster_link& link) = 0;
  /// The shard owner's thread; may block.
  virtual void serve(uint32_t shard) = 0;
  virtual void unserve(uint32_t shard) = 0;
  virtual void stop() = 0;
};

} // namespace igbridge
