#pragma once
/// @brief Shard ownership (DESIGN §9): a node owns a shard while it holds
/// the shard's lease, a key of the igb_leases bucket whose values expire
/// lease_ttl_s after their last write.
///
/// Each node's keeper, every tick (lease_ttl / 3):
/// 1. renews the leases it holds, each an update at the revision it last
///    wrote: a refused renewal (another node holds it now) or one that could
///    not be written for lease_ttl minus a margin means the shard is lost, at
///    once (`lost(shard, rejected|expired)`);
/// 2. writes its heartbeat to igb_nodes (which expires like the leases) and
///    reads the live nodes from there;
/// 3. computes its shards with assign_shards over the live nodes; a shard it
///    holds but should not is handed over: `lost(shard, handoff)`, the owner
///    stops and flushes and calls release(shard), and the keeper deletes the
///    lease at its revision, so the new owner takes it on its next tick;
/// 4. tries to create (only if absent) the lease of every shard it should
///    hold and does not: `gained(shard)` when that succeeds. A dead node's
///    leases expire, so its shards are taken within about lease_ttl + tick.
///
/// The lease says who should write; the changelog's fence (changelog.hpp)
/// is what stops an owner that lost its lease but does not know it yet.
/// Callbacks run on the keeper's thread: they must be short. Give the link
/// a request_timeout and publish_timeout of at most lease_ttl / 3, so that
/// one slow answer cannot hold a tick past the leases' expiry.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "igbridge/cluster/kv.hpp"
#include "igbridge/cluster/link.hpp"

namespace igbridge::cluster {

enum class lease_loss {
  rejected, // a renewal was refused: another node holds the lease
  expired,  // renewals failed for about the lease's TTL (no NATS quorum)
  handoff,  // the shard belongs to another node now: stop, flush, release()
  stopping, // this node leaves: stop, flush, release()
};

const char* to_string(lease_loss why);

struct lease_events {
  std::function<void(uint32_t shard)> gained;
  std::function<void(uint32_t shard, lease_loss why)> lost;
  /// What the heartbeat carries besides the shard count: a JSON object's
  /// text of the node's own figures, which /status sums over the nodes.
  /// Called on the keeper's thread, once per tick.
  std::function<std::string()> figures;
};

/// A live node as its heartbeat describes it (/status).
struct node_info {
  std::string id;
  uint32_t shards = 0; // leases it held at its last heartbeat
  std::string figures; // its lease_events::figures at that heartbeat (JSON text; "{}" if none)
};

struct lease_options {
  std::chrono::milliseconds tick{0};                  // 0 = lease_ttl / 3
  std::chrono::milliseconds handoff_timeout{30000};   // release() awaited at most this long
};

class lease_keeper {
public:
  /// Node id, shard count and TTL come from the link's options.
  lease_keeper(cluster_link& link, lease_events events, lease_options opts = {});
  ~lease_keeper(); // stop() if still running
  lease_keeper(const lease_keeper&) = delete;
  lease_keeper& operator=(const lease_keeper&) = delete;

  void start();
  /// After lost(shard, handoff|stopping): the owner has flushed; the lease
  /// may go. (Calling it for a shard not being handed over does nothing.)
  void release(uint32_t shard);
  /// Graceful leave: drops this node's heartbeat, calls lost(stopping) for
  /// every shard held, waits up to handoff_timeout for their release()
  /// (renewing meanwhile), then deletes the leases. Blocks.
  void stop();
  /// Stops renewing and releases nothing, as a crash would (tests).
  void abandon();

  std::vector<uint32_t> owned() const;        // leases held now, ascending
  /// Whether the lease is held and its last good write is recent enough
  /// that it has not expired for anyone else. A process that was stopped
  /// (SIGSTOP, a long pause) finds this false at once on waking, before
  /// its next renewal hears that the lease was taken, and sends nothing
  /// for the shard meanwhile.
  bool fresh(uint32_t shard) const;
  std::vector<std::string> live_nodes() const; // at the last tick, sorted
  /// This node's heartbeat was written within the lease TTL: it can reach a
  /// NATS quorum (/readyz).
  bool healthy() const;
  /// Every live node with its shard count, read from the heartbeats
  /// (/status on any node shows them all). Blocks.
  result<std::vector<node_info>> nodes() const;

private:
  struct held {
    uint64_t revision = 0;
    std::chrono::steady_clock::time_point renewed_sent; // send time of the last good write
    bool handing_off = false;
    std::chrono::steady_clock::time_point handoff_since;
    bool released = false;
  };

  void run();
  void tick();
  void heartbeat();
  void renew_all();
  void hand_off(const std::set<uint32_t>& mine);
  void acquire(const std::set<uint32_t>& mine);
  void leave();
  std::string lease_value() const;
  /// A lease whose last good write was sent longer than ttl - margin ago
  /// is treated as gone: others take it after ttl on their own clocks.
  std::chrono::milliseconds usable_for() const;

  cluster_link& link_;
  lease_events events_;
  lease_options opts_;
  std::string node_;
  std::string incarnation_; // tells this process's leases from a restarted one's
  uint32_t shards_;
  std::chrono::milliseconds ttl_;
  kv_bucket leases_;
  kv_bucket nodes_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;
  bool abandon_ = false;
  std::map<uint32_t, held> held_;        // guarded by mu_
  std::vector<std::string> live_;        // guarded by mu_
  std::chrono::steady_clock::time_point heartbeat_ok_{}; // guarded by mu_
  std::thread thread_;
};

} // namespace igbridge::cluster
