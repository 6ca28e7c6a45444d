#pragma once
/// @brief One daemon's membership in the cluster (DESIGN §9): its own thread
/// connects to NATS (retrying until a server answers), creates or checks the
/// streams and buckets, runs the lease keeper, and every tick publishes a
/// view of the cluster that the admin listener reads without waiting:
/// /readyz (503 while this node has no NATS quorum) and /status's
/// `cluster` object.
///
/// The daemon's shard_owner, given as hooks, restores a shard it gains and
/// stops and flushes one it loses (docs/cluster.md, "What runs today").

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <functional>

#include "igbridge/cluster/leases.hpp"
#include "igbridge/cluster/link.hpp"

namespace igbridge::cluster {

/// A node as /status shows it.
struct member {
  std::string id;
  uint32_t shards = 0; // leases it held at its last heartbeat
  bool alive = false;  // its heartbeat is live; false: seen since this node started, gone now
  std::string figures = "{}"; // what its heartbeat carried (shard_hooks::figures)
};

/// The cluster as this node saw it at its last tick: a value, cheap to read.
struct node_view {
  std::string node_id;
  uint32_t shards = 0;       // the cluster's shard count
  bool connected = false;    // to some NATS server now
  bool quorum = false;       // this node's heartbeat was stored within the lease TTL
  std::string why_not_ready; // empty when connected and quorum
  std::vector<uint32_t> owned;   // leases held
  std::vector<uint32_t> serving; // of those, restored and running their users (shard_hooks)
  std::vector<member> nodes;  // sorted by id, this node included
  int64_t hints_pending = -1; // messages in the hints stream; -1 when not read
  /// Per shard (empty when not read): hints published and not yet acked by
  /// the shard's owner (its consumer's lag), and the changelog messages
  /// after the latest snapshot's compaction (what a restore replays).
  std::vector<int64_t> hints_by_shard;
  std::vector<int64_t> changelog_by_shard;
  std::chrono::steady_clock::time_point taken_at{}; // when this view was made
  std::chrono::milliseconds lease_ttl{0};

  /// Ready to take traffic: connected, with quorum, and the view itself
  /// recent (a node thread stuck on NATS must not leave an old "yes").
  bool ready(std::chrono::steady_clock::time_point now) const {
    return connected && quorum && now - taken_at < lease_ttl;
  }
};

/// What the daemon does with shards (shard_owner), called by the node:
/// `joined` on the node's thread once NATS answered and the assets exist,
/// before any lease is taken (it may block: the node waits for it);
/// `gained` and `lost` on the lease keeper's thread (short: post and
/// return). After lost(handoff|stopping) the daemon calls release().
/// Without hooks, a shard handed over is released at once.
struct shard_hooks {
  std::function<void(cluster_link&)> joined;
  std::function<void(uint32_t shard)> gained;
  std::function<void(uint32_t shard, lease_loss why)> lost;
  /// The shards restored and running here now (for the view); any thread.
  std::function<std::vector<uint32_t>()> serving;
  /// The node's own figures for its heartbeat (lease_events::figures).
  std::function<std::string()> figures;
};

class node_runtime {
public:
  explicit node_runtime(link_options opts);
  ~node_runtime(); // stop()
  node_runtime(const node_runtime&) = delete;
  node_runtime& operator=(const node_runtime&) = delete;

  /// Before start().
  void set_hooks(shard_hooks hooks) { hooks_ = std::move(hooks); }
  /// Starts the node's thread; returns at once (nothing here waits for NATS).
  void start();
  /// The shard handed over (lost(handoff|stopping)) is flushed: its lease
  /// may go. Any thread.
  void release(uint32_t shard);
  /// Whether this node holds the shard's lease now. Any thread.
  bool holds(uint32_t shard) const;
  /// Whether the lease is held and not past its TTL on this node's clock
  /// (lease_keeper::fresh). Any thread.
  bool fresh(uint32_t shard) const;
  /// Leaves the cluster gracefully (leases released, heartbeat dropped) and
  /// closes the link. Blocks: call it from the main thread at shutdown.
  void stop();

  /// The latest view; never null, never blocks.
  std::shared_ptr<const node_view> view() const;

private:
  struct parts; // the link and the keeper, made on the node's thread
  void run();
  bool join_cluster(); // connect + ensure_assets + start the keeper
  void refresh();
  void publish(node_view v);
  /// Sleeps for `d` or until stop(); false once stopping.
  bool pause(std::chrono::milliseconds d);

  link_options opts_;
  shard_hooks hooks_;
  std::unique_ptr<parts> parts_;
  std::atomic<lease_keeper*> keeper_{nullptr}; // for release() from other threads
  std::set<std::string> seen_; // nodes seen alive since start (node thread only)

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false; // guarded by mu_
  std::shared_ptr<const node_view> view_; // atomic_load/atomic_store
  std::thread thread_;
};

} // namespace igbridge::cluster
