#pragma once
/// @brief One daemon's membership in the cluster (DESIGN §9): its own thread
/// connects to NATS (retrying until a server answers), creates or checks the
/// streams and buckets, runs the lease keeper, and every tick publishes a
/// view of the cluster that the admin listener reads without waiting:
/// /readyz (503 while this node has no NATS quorum) and /status's
/// `cluster` object.
///
/// What this wires and what not (docs/cluster.md, "What runs today"): the
/// node takes and renews shard leases, but nothing local stops at a lost
/// lease yet, since user actors, hints and the changelog are not routed by
/// shard: a shard handed over is released at once.

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

#include "igbridge/cluster/link.hpp"

namespace igbridge::cluster {

/// A node as /status shows it.
struct member {
  std::string id;
  uint32_t shards = 0; // leases it held at its last heartbeat
  bool alive = false;  // its heartbeat is live; false: seen since this node started, gone now
};

/// The cluster as this node saw it at its last tick: a value, cheap to read.
struct node_view {
  std::string node_id;
  uint32_t shards = 0;       // the cluster's shard count
  bool connected = false;    // to some NATS server now
  bool quorum = false;       // this node's heartbeat was stored within the lease TTL
  std::string why_not_ready; // empty when connected and quorum
  std::vector<uint32_t> owned;
  std::vector<member> nodes;  // sorted by id, this node included
  int64_t hints_pending = -1; // messages in the hints stream; -1 when not read
  std::chrono::steady_clock::time_point taken_at{}; // when this view was made
  std::chrono::milliseconds lease_ttl{0};

  /// Ready to take traffic: connected, with quorum, and the view itself
  /// recent (a node thread stuck on NATS must not leave an old "yes").
  bool ready(std::chrono::steady_clock::time_point now) const {
    return connected && quorum && now - taken_at < lease_ttl;
  }
};

class node_runtime {
public:
  explicit node_runtime(link_options opts);
  ~node_runtime(); // stop()
  node_runtime(const node_runtime&) = delete;
  node_runtime& operator=(const node_runtime&) = delete;

  /// Starts the node's thread; returns at once (nothing here waits for NATS).
  void start();
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
  std::unique_ptr<parts> parts_;
  std::set<std::string> seen_; // nodes seen alive since start (node thread only)

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false; // guarded by mu_
  std::shared_ptr<const node_view> view_; // atomic_load/atomic_store
  std::thread thread_;
};

} // namespace igbridge::cluster
