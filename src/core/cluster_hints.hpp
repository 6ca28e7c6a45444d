#pragma once
/// @brief Webhook hints across the cluster (DESIGN §9): the node a verified
/// webhook reaches looks each Instagram id up in the replicated index
/// (igb_ig_index), publishes the ids to the shards of their app users
/// (igb.hints.<shard>) and answers 200 only once every publish is stored
/// on a quorum; 503 otherwise, so Meta sends it again. The owner of a shard
/// consumes its hints into its own writer (the same fan-out a single node
/// does) and acks each after the commit, and its changelog publish.
///
/// The index is kept by the owners: every committed change of a user's
/// Instagram ids is mirrored into the bucket after the shard's changelog
/// append, and a restore mirrors the restored users' ids again (the bucket
/// heals from whatever a crash between the two left out).
///
/// Threads: route() on an I/O thread (never blocks: NATS answers on its
/// own threads); index_changed() on the writer's; serve() and unserve()
/// on the shard owner's thread; joined() on the node's.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/fwd.hpp>

#include "igbridge/context.hpp"
#include "igbridge/http_server.hpp"
#include "igbridge/messages.hpp"

namespace igbridge {

namespace cluster {
class cluster_link;
}

class cluster_hints {
public:
  cluster_hints(context& ctx, uint32_t shards, writer_actor writer);
  ~cluster_hints(); // stop()
  cluster_hints(const cluster_hints&) = delete;
  cluster_hints& operator=(const cluster_hints&) = delete;

  /// The node joined: the index, the bus and the consumer on its link.
  void joined(cluster::cluster_link& link);

  /// A verified webhook's Instagram ids: published to their users' shards,
  /// `reply` answered once all are stored (or failed).
  void route(std::vector<std::string> instagram_ids, responder_ptr reply,
             std::chrono::steady_clock::time_point received);

  /// The shard's hints are consumed here from now on (blocks for the
  /// consumer's creation), or no more.
  bool serve(uint32_t shard);
  void unserve(uint32_t shard);

  /// Mirrors one change of the Instagram-id index into the bucket (blocks).
  void index_changed(std::string_view instagram_id, std::string_view user, bool added);

  /// Before the link closes: stops consuming.
  void stop();

private:
  struct parts;
  context& ctx_;
  uint32_t shards_;
  writer_actor writer_;
  std::shared_ptr<parts> parts_;          // made in joined(); read after `ready_`
  std::atomic<bool> ready_{false};
};

} // namespace igbridge
