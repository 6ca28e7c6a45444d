#pragma once
/// @brief A thin LMDB wrapper: one environment, named databases, RAII
/// transactions. A write is acknowledged only after commit() returns.
///
/// Transactions belong to the thread that began them: open and finish one
/// inside a single actor handler. Readers use MDB_NOTLS.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace igbridge {

struct store_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The named databases of DESIGN §5, plus `dead` (dead letters, keyed like
/// outbox) and `hints` (app user → pending webhook hint).
enum class db { users, ig_index, seen, outbox, dead, oauth_state, hints, meta };

constexpr int schema_version = 1;

class store;

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
  /// Entries in database `d`.
  std::size_t count(db d) const;

protected:
  friend class store;
  read_txn(const store& s, bool write);
  const store* store_;
  void* txn_; // MDB_txn*
};

class write_txn : public read_txn {
public:
  using read_txn::read_txn;
  void put(db d, std::string_view key, std::string_view val);
  /// Deletes a key (all duplicates for dupsort); false when absent.
  bool del(db d, std::string_view key);
  /// Deletes one key/value pair of a dupsort database.
  bool del(db d, std::string_view key, std::string_view val);
  void commit(); // throws store_error; the txn is finished afterwards

private:
  friend class store;
  explicit write_txn(const store& s) : read_txn(s, true) {}
};

class store {
public:
  /// Creates the directory when missing, opens every named DB, writes or
  /// checks the schema version (throws store_error naming a newer schema).
  explicit store(const std::string& dir, std::size_t map_size = std::size_t{1} << 32);
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  read_txn read() const;
  write_txn write() const;

  /// Bytes of the map in use and its size (for metrics).
  std::pair<std::size_t, std::size_t> usage() const;
  std::string path() const { return dir_; }

private:
  friend class read_txn;
  friend class write_txn;
  std::string dir_;
  void* env_;          // MDB_env*
  unsigned dbis_[8];   // MDB_dbi per db
};

using store_ptr = std::shared_ptr<store>;

/// Big-endian 8-byte key so numeric order is key order (outbox, dead).
std::string seq_key(uint64_t seq);
uint64_t seq_from_key(std::string_view key);

} // namespace igbridge
