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
/// The same stream carries a link completed on a node that does not serve
/// the user's shard: its grant (the token sealed with storage.key) goes to
/// the owner, which stores it through its registry and acks after; so do
/// a deauthorization's unlink and a data deletion's erase. OAuth
/// states live in igb_oauth, so the callback may reach any node.
///
/// Threads: route(), forward_link() and the OAuth calls from actors or I/O
/// threads (never block: NATS answers on its own threads);
/// index_changed() on the writer's; serve() and unserve() on the shard
/// owner's thread; joined() on the node's.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/fwd.hpp>

#include "core/shard_service.hpp"
#include "igbridge/context.hpp"
#include "igbridge/http_server.hpp"
#include "igbridge/messages.hpp"

namespace igbridge {

class cluster_hints : public shard_service {
public:
  cluster_hints(context& ctx, uint32_t shards, caf::actor_system& sys, writer_actor writer,
                registry_actor registry);
  ~cluster_hints() override; // stop()
  cluster_hints(const cluster_hints&) = delete;
  cluster_hints& operator=(const cluster_hints&) = delete;

  /// The node joined: the index, the bus and the consumer on its link.
  void joined(cluster::cluster_link& link) override;

  /// A verified webhook's Instagram ids: published to their users' shards,
  /// `reply` answered once all are stored (or failed).
  void route(std::vector<std::string> instagram_ids, responder_ptr reply,
             std::chrono::steady_clock::time_point received);

  /// A grant for `user`, to the owner of the user's shard.
  void forward_link(const std::string& user, const link_grant& grant,
                    std::function<void(bool stored)> done);

  /// An unlink for `user`, to the owner of the user's shard.
  void forward_unlink(const std::string& user, const std::string& reason,
                      std::function<void(bool stored)> done);
  /// A data deletion's erase of `user` (`code`: its confirmation code), to
  /// the owner of the user's shard.
  void forward_erase(const std::string& user, const std::string& code,
                     std::function<void(bool stored)> done);
  /// What the owner does once its registry erased a user for a deletion
  /// (purge her shard's history, mark her done); `done(ok)` acks the
  /// erase, or lets it come again. Set before joined().
  using erased_fn = std::function<void(const std::string& user, const std::string& code,
                                       std::function<void(bool ok)> done)>;
  void on_erased(erased_fn f) { on_erased_ = std::move(f); }
  /// The app users of an Instagram id, from the replicated index.
  void lookup_users(const std::string& instagram_id,
                    std::function<void(std::vector<std::string>, bool)> done);

  /// OAuth states in the replicated bucket.
  void oauth_put(const std::string& nonce, std::string state, std::function<void(bool)> done);
  void oauth_get(const std::string& nonce, context::oauth_done done);
  void oauth_take(const std::string& nonce, context::oauth_done done);

  /// The shard's hints are consumed here from now on (blocks for the
  /// consumer's creation), or no more.
  void serve(uint32_t shard) override;
  void unserve(uint32_t shard) override;

  /// Mirrors one change of the Instagram-id index into the bucket (blocks).
  void index_changed(std::string_view instagram_id, std::string_view user, bool added);

  /// Before the link closes: stops consuming.
  void stop() override;

private:
  /// A message for the owner of the user's shard, on its stream.
  void forward(const std::string& user, std::string message, std::function<void(bool)> done);

  struct parts;
  context& ctx_;
  uint32_t shards_;
  caf::actor_system& sys_;
  writer_actor writer_;
  registry_actor registry_;
  erased_fn on_erased_;
  std::shared_ptr<parts> parts_;          // made in joined(); read after `ready_`
  std::atomic<bool> ready_{false};
};

} // namespace igbridge
