#pragma once
/// @brief A thin LMDB wrapper: one environment, named databases, RAII
/// transactions. A write is acknowledged only after commit() returns.
///
/// Transactions belong to the thread that began them: open and finish one
/// inside a single actor handler. Readers use MDB_NOTLS. In the daemon only
/// the writer actor opens write transactions (one at a time, each holding a
/// child transaction per job); anyone may read. The map grows by itself:
/// the writer calls grow() when a job hits MDB_MAP_FULL, and readers hold a
/// shared lock that growth waits for, because LMDB may only be resized while
/// no transaction of this process is open.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace igbridge {

struct store_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The map is full: grow() and run the transaction again.
struct store_full : store_error {
  using store_error::store_error;
};

/// The named databases. Each has one key and one value codec (tables.hpp).
enum class db {
  users,             // app user → user_record
  ig_index,          // Instagram id (professional or app-scoped) → app users (dupsort)
  seen,              // user \0 media id → seen_entry
  seen_order,        // user \0 be64(taken_at) media id → "" (oldest first, for pruning)
  outbox,            // user \0 be64(seq) → outbox_entry
  outbox_due,        // be64(next attempt) user \0 be64(seq) → "" (what the delivery pump reads)
  dead,              // user \0 be64(seq) → outbox_entry
  oauth_state,       // nonce → oauth_state
  oauth_expiry,      // be64(expires_at) nonce → "" (expiry sweep)
  oauth_by_user,     // user \0 be64(created) nonce → "" (live states per user)
  hints,             // app user → hint (the user's durable mailbox)
  hint_due,          // be64(fetch at) user → "" (what the scheduler reads)
  schedule,          // be64(due) user → "" (each user's own next wake-up)
  resume,            // app user → page cursors of unfinished runs
  deletions,         // confirmation code → deletion_record
  deletion_requests, // sha256(signed_request) → confirmation code (replays)
  counters,          // name → int64 (figures kept without scans)
  attention,         // app user → short JSON summary (users needing attention)
  dashboard,         // "latest" → JSON list of the newest imports
  media_refs,        // stored file name \0 user → "" (who references a media file)
  user_media,        // user \0 stored file name → "" (a user's media files, for erasing)
  outbox_ids,        // be64(seq) → user (an outbox or dead entry found by its id)
  imports,           // user \0 media id → what was delivered (edits, Micropub URL, backfill)
  meta,              // schema_version, outbox_seq, sink_gone
};

constexpr std::size_t db_count = static_cast<std::size_t>(db::meta) + 1;

/// 2: typed tables and indexes (schedule, due outbox, hint queue, counters).
/// 3: hints and outbox entries in binary form (JSON ones still read), so
///    that an older igbridge refuses the store instead of reading them as
///    absent.
/// 4: one module per record family; every per-user family's keys start
///    with the app user (outbox and dead letters by user, with an id index),
///    and a hint keeps the time of its queue entry.
constexpr int schema_version = 4;

class store;

/// One change a write transaction made (DESIGN §9, issue 21): replaying a
/// committed batch's mutations, in order, onto a copy of the environment
/// yields the same data. This is what a shard's changelog publishes.
struct mutation {
  enum class kind : uint8_t {
    put,      // key = value (for a dupsort database: one more duplicate)
    del_dup,  // one duplicate `value` of `key` removed (dupsort)
    del_key,  // the key removed, with every duplicate
  };
  db d = db::meta;
  kind op = kind::put;
  std::string key;
  std::string value; // put, del_dup
  bool operator==(const mutation& o) const {
    return d == o.d && op == o.op && key == o.key && value == o.value;
  }
};
using mutation_list = std::vector<mutation>;

/// Applies `m` in order (the replay of a captured batch).
class write_txn;
void apply_mutations(write_txn& txn, const mutation_list& m);

class read_txn {
public:
  read_txn(read_txn&&) noexcept;
  read_txn& operator=(read_txn&&) = delete;
  virtual ~read_txn(); // aborts when not committed

  std::optional<std::string> get(db d, std::string_view key) const;
  /// Visits keys >= `from` in order while `fn` returns true. For ig_index
  /// (dupsort) every duplicate is visited.
  void scan(db d, std::string_view from,
            const std::function<bool(std::string_view key, std::string_view val)>& fn) const;
  /// Every value stored under exactly `key` (the duplicates of a dupsort
  /// database such as ig_index), in order; empty when absent.
  std::vector<std::string> get_all(db d, std::string_view key) const;
  /// Keys that start with `prefix`, in order.
  void scan_prefix(db d, std::string_view prefix,
                   const std::function<bool(std::string_view key, std::string_view val)>& fn) const;
  /// Entries in database `d` (O(1): LMDB keeps the count).
  std::size_t count(db d) const;
  /// The store this transaction reads.
  const store& owner() const { return *store_; }

protected:
  friend class store;
  read_txn(const store& s, bool write, void* parent = nullptr);
  const store* store_;
  void* txn_; // MDB_txn*
  std::shared_lock<std::shared_mutex> resize_guard_; // empty for child transactions
};

class write_txn : public read_txn {
public:
  using read_txn::read_txn;
  write_txn(write_txn&&) noexcept = default;
  void put(db d, std::string_view key, std::string_view val);
  /// Deletes a key (all duplicates for dupsort); false when absent.
  bool del(db d, std::string_view key);
  /// Deletes one key/value pair of a dupsort database.
  bool del(db d, std::string_view key, std::string_view val);
  /// A nested transaction: its changes join ours when it commits, and
  /// vanish alone when it is aborted. Ours must not be used meanwhile.
  write_txn child();
  /// Throws store_error; the txn is finished afterwards. A child hands its
  /// captured mutations to its parent; a top-level transaction keeps them
  /// for take_mutations().
  void commit();

  /// Every change so far, in order, as one encoded batch (mutations.hpp's
  /// form, decode_mutations reads it) when the store captures
  /// (store::capture); empty otherwise. After a top-level commit: what the
  /// commit made durable.
  std::string take_mutations();
  /// The changes captured so far, uncommitted: an unfinished batch (its
  /// count not written), for for_each_mutation; empty when none.
  std::string_view captured() const { return captured_; }

private:
  friend class store;
  explicit write_txn(const store& s) : read_txn(s, true) {}
  write_txn(const store& s, void* parent, write_txn* parent_txn)
    : read_txn(s, true, parent), parent_(parent_txn) {}
  void record(db d, mutation::kind op, std::string_view key, std::string_view val);

  write_txn* parent_ = nullptr; // a child's parent, to hand mutations to
  std::string captured_;        // the encoded batch so far ("" before the first change)
  uint32_t captured_count_ = 0;
};

class store {
public:
  /// Creates the directory when missing, opens every named DB, writes or
  /// checks the schema version (throws store_error naming a newer schema).
  /// `map_size` is where the map starts; it grows when full.
  explicit store(const std::string& dir, std::size_t map_size = std::size_t{64} << 20);
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  read_txn read() const;
  write_txn write() const;

  /// Doubles the map (at least to `at_least`). Waits for every open
  /// transaction of this process to finish; call with none open yourself.
  void grow(std::size_t at_least = 0);

  /// Bytes of the map in use and its size (for metrics).
  std::pair<std::size_t, std::size_t> usage() const;

  /// Whether write transactions record their mutations (off by default;
  /// a cluster node and the replay test turn it on).
  void capture(bool on) { capture_ = on; }
  bool capturing() const { return capture_; }

  /// Cluster mode: outbox sequence numbers taken for a user are congruent
  /// to its shard modulo `shards`, so that the entries of shards restored
  /// onto one node never share a number (outbox_ids is keyed by it). 0, the
  /// default: one counter, every number in turn.
  void partition_seqs(uint32_t shards, std::function<uint32_t(std::string_view user)> shard_of) {
    seq_parts_ = shards;
    seq_part_of_ = std::move(shard_of);
  }
  uint32_t seq_parts() const { return seq_parts_; }
  uint32_t seq_part_of(std::string_view user) const { return seq_part_of_(user); }
  std::string path() const { return dir_; }

private:
  friend class read_txn;
  friend class write_txn;
  std::string dir_;
  void* env_;                 // MDB_env*
  unsigned dbis_[db_count];   // MDB_dbi per db
  mutable std::shared_mutex resize_;
  bool capture_ = false;
  uint32_t seq_parts_ = 0;
  std::function<uint32_t(std::string_view)> seq_part_of_;
};

using store_ptr = std::shared_ptr<store>;

/// Big-endian 8-byte key so numeric order is key order (outbox, dead).
std::string seq_key(uint64_t seq);
uint64_t seq_from_key(std::string_view key);

} // namespace igbridge
