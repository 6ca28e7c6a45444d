#pragma once
/// @brief A shard's state outside its node: the changelog (one message per
/// committed batch on igb.log.<shard>) and snapshots (chunks on
/// igb.snap.<shard>.chunk, made current by a head on igb.snap.<shard>.head).
///
/// The fence: every append names the sequence of the shard's last message
/// as its writer saw it (Nats-Expected-Last-Subject-Sequence). A new owner
/// first claim()s the shard, which appends a marker after whatever the log
/// holds; from then on every earlier owner's append is refused (fenced),
/// whether or not the new owner has written anything yet.
///
/// Server 2.9.10 checks that expectation on the stream leader before
/// replicating (nats-server#4320): two appends in flight at the same moment
/// with the same expectation can both be stored, the later one after the
/// other's. Nothing acknowledged is lost that way, but an owner can find
/// its log moved under it; so on `fenced`, an owner:
/// - drops its local state of the shard and everything not acknowledged
///   (its unacked hints come again);
/// - if the lease keeper still gives it the shard, restores it afresh
///   (claim, snapshot, tail) and carries on from there; if not, stops.
///
/// A new owner restores with: claim() → read_snapshot() → read(after the
/// snapshot's covers_seq) up to the claim. Snapshots bound that replay;
/// compact() then drops the changelog the snapshot covers.
///
/// Plain functions block (link.hpp); append_async completes on a NATS
/// thread (or a link worker for batches over max_payload). Other blocking
/// calls can be run off a CAF worker with run_async().

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "igbridge/cluster/link.hpp"

namespace igbridge::cluster {

struct log_entry {
  uint64_t seq = 0;  // of the batch's last message: the next append's expected_last
  std::string batch; // the bytes given to append()
};

struct snapshot {
  uint64_t covers_seq = 0; // the state is that after every batch up to this sequence
  std::string data;
};

class shard_log {
public:
  explicit shard_log(cluster_link& link);

  /// The sequence of the shard's last changelog message; 0 when none.
  result<uint64_t> last_seq(uint32_t shard) const;

  /// Fences out every earlier writer: appends a claim marker (naming this
  /// node) after the log's current end, again if someone appends
  /// meanwhile. Returns the marker's sequence: the first append's
  /// `expected_last`, and where a restore's read ends.
  result<uint64_t> claim(uint32_t shard) const;

  /// Appends one committed batch, stored only if the shard's last message
  /// is `expected_last` (fenced otherwise). Returns the new expected_last.
  /// A batch over the server's max_payload goes as chunks, each fenced on
  /// the one before; readers only ever see whole batches.
  ///
  /// `id`, if given, names this batch at this place in the log (unique per
  /// writer, shard and expected_last; Nats-Msg-Id, per chunk): the same
  /// append sent again after a timeout, with the same id and expected_last,
  /// is stored once and answers the first one's sequence, whether or not
  /// the first was stored. (Fenced, it looks at the log's last message: the
  /// first one's if it is still last.) A fence answered by a leader that
  /// has not applied up to `expected_last` yet (just elected) is no_quorum,
  /// a passing failure, not fenced.
  result<uint64_t> append(uint32_t shard, uint64_t expected_last, std::string_view batch,
                          std::string_view id = {}) const;
  void append_async(uint32_t shard, uint64_t expected_last, std::string batch,
                    publish_done done) const;

  /// Calls `each` for every batch after `after_seq`, in order, up to the
  /// log's end at the time of the call (claim markers are skipped); `each`
  /// returns false to stop. Returns the sequence of the last message read.
  result<uint64_t> read(uint32_t shard, uint64_t after_seq,
                        const std::function<bool(const log_entry&)>& each) const;

  /// Stores `data`, the shard's state as of changelog sequence
  /// `covers_seq`, and makes it the latest snapshot: fenced if the latest
  /// already covers as much or more, or another writer made one meanwhile.
  /// Then drops older snapshots. Returns the head's sequence.
  result<uint64_t> write_snapshot(uint32_t shard, uint64_t covers_seq, std::string_view data) const;

  /// The latest complete snapshot; not_found when the shard has none.
  result<snapshot> read_snapshot(uint32_t shard) const;
  /// What the latest snapshot covers (its head only); 0 when none. A
  /// restore that finds it moved while it read may have missed a tail
  /// compacted meanwhile, and reads again.
  result<uint64_t> snapshot_covers(uint32_t shard) const;

  /// Drops the shard's changelog messages before `seq`. The message at
  /// `seq` stays: appends are fenced on the last message, which must exist.
  /// (To leave nothing of a deleted user: append a batch after the
  /// deletion, snapshot at that batch, compact to it.)
  status compact(uint32_t shard, uint64_t seq) const;

private:
  cluster_link* link_;
};

} // namespace igbridge::cluster
