#pragma once
/// @brief The shards this node runs (DESIGN §9, cluster mode): which users
/// it may act for, their changes published to the shard's changelog, a
/// gained shard restored from the changelog, a lost one stopped and its
/// local copy dropped.
///
/// A shard goes through: none → restoring (lease held; claim, read the
/// changelog, replay it into LMDB) → owned (its users run; every commit's
/// part for it is appended, fenced on the last sequence) → leaving (handed
/// over: users stopped, nothing new accepted, what was committed is still
/// published) → none (local copy purged, lease released). A lease lost
/// without a hand-over (expired, taken) makes an owned shard `lost`: its
/// users stop and nothing more is sent for them, but what they commit
/// meanwhile (a delivery that was out at the sink) is still appended, as
/// the fence allows, until the local copy is purged. A fenced append, or
/// one that cannot be stored within append_retry_for, drops the shard at
/// once (none, purged, no release: the lease is someone else's or
/// expires).
///
/// Threads: publish() runs on the writer's thread (context::on_commit);
/// owns() anywhere; the node's hooks post to this object's own thread,
/// which does the blocking work (NATS reads, the writer's and registry's
/// answers) and so never holds a CAF worker.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <caf/fwd.hpp>

#include "igbridge/cluster/node.hpp"
#include "igbridge/context.hpp"
#include "igbridge/messages.hpp"

namespace igbridge {

class cluster_hints;
class shard_service;

class shard_owner {
public:
  shard_owner(context& ctx, uint32_t shards);
  ~shard_owner(); // stop()
  shard_owner(const shard_owner&) = delete;
  shard_owner& operator=(const shard_owner&) = delete;

  /// The actors it asks (after spawn_all), the node it answers to, the
  /// hints whose index it mirrors, and what runs per served shard (hints
  /// among them).
  void attach(caf::actor_system& sys, writer_actor writer, registry_actor registry,
              delivery_actor delivery, cluster::node_runtime& node, cluster_hints& hints,
              std::vector<shard_service*> services);
  /// The hooks to give the node before it starts.
  cluster::shard_hooks hooks();

  /// Whether the user's shard is owned (restored and not leaving). Any thread.
  bool owns(std::string_view user) const;
  /// Whether the delivery may send the user's entries: owned, and the
  /// lease fresh on this node's clock (lease_keeper::fresh). Any thread.
  bool sends_for(std::string_view user) const;
  /// Whether the writer takes the user's changes: owned, leaving or lost.
  bool writes_for(std::string_view user) const;
  uint32_t shard_of(std::string_view user) const;
  /// Whether a user belongs to `shard` (a restore's, snapshot's or purge's
  /// selection of records).
  std::function<bool(std::string_view)> users_of(uint32_t shard) const;

  /// The writer's thread: appends each shard's part of a committed batch
  /// to its changelog. False when a part could not be stored (the batch's
  /// answers then say it failed; that shard is dropped).
  bool publish(const std::string& batch);

  /// A data deletion, after the user's erase committed: a snapshot of her
  /// shard taken now and the changelog before it dropped, so that nothing
  /// published holds her data; `done(ok)` on this object's thread (it may
  /// block), false when the shard is not served here (any more).
  void forget_history(std::string_view user, std::function<void(bool)> done);

  /// The actors are gone: from now on a shard handed over is released at
  /// once (everything committed was published). Call before the node
  /// leaves, which hands every shard over.
  void actors_stopped() { actors_gone_.store(true); }
  /// Ends the thread (after the node left).
  void stop();

private:
  enum phase : uint8_t { none, restoring, owned, leaving, lost };
  struct event {
    enum kind { joined, gained, handoff, dropped, snapshot, heal, forget } what;
    uint32_t shard = 0;
    std::shared_ptr<std::vector<std::pair<std::string, std::string>>> ids; // heal: (id, user)
    std::function<void(bool)> done; // forget
  };
  void post(event e);
  void run();
  void handle(const event& e);
  void purge_all();
  bool restore(uint32_t shard);
  void leave(uint32_t shard, bool release);
  /// True when a snapshot holds the shard's state as of now and the
  /// changelog before it was dropped.
  bool snapshot(uint32_t shard);
  bool unlogged(write_job job);
  void mirror_index(std::string_view part); // the writer's thread, after an append
  /// The writer's thread: one shard's part, sent again while the failure
  /// is a passing one (no leader yet, no answer, reconnecting).
  cluster::result<uint64_t> append_part(cluster::cluster_link& link, uint32_t shard,
                                        const std::string& part,
                                        std::chrono::steady_clock::time_point give_up);
  uint8_t phase_of(uint32_t shard) const { return phase_[shard].load(std::memory_order_acquire); }
  void set_phase(uint32_t shard, phase p) { phase_[shard].store(p, std::memory_order_release); }

  context& ctx_;
  uint32_t shards_;
  std::unique_ptr<std::atomic<uint8_t>[]> phase_;
  std::vector<uint64_t> expected_last_; // restorer sets it before `owned`; then the writer's
  std::vector<uint64_t> since_snapshot_; // batches appended since the last snapshot; likewise
  std::vector<uint64_t> snapshot_covers_; // what this node's last snapshot covered; its thread
  /// A snapshot of the shard is queued and has not started: the writer
  /// asks for no other meanwhile.
  std::unique_ptr<std::atomic<bool>[]> snapshot_queued_;
  uint64_t snapshot_every_;
  std::atomic<cluster::cluster_link*> link_{nullptr};
  cluster::node_runtime* node_ = nullptr;
  cluster_hints* hints_ = nullptr;
  std::vector<shard_service*> services_;
  caf::actor_system* sys_ = nullptr;
  writer_actor writer_;
  registry_actor registry_;
  delivery_actor delivery_;

  std::mutex mu_;
  std::condition_variable cv_;
  // Ownership changes go first; snapshots and index heals wait behind them
  // (a hand-over must not queue behind a busy shard's snapshots).
  std::deque<event> urgent_;     // guarded by mu_
  std::deque<event> background_; // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  std::atomic<bool> actors_gone_{false};
  std::thread thread_;
};

} // namespace igbridge
