#include "igbridge/store.hpp"

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <memory>
#include <mutex>

#include "igbridge/mutations.hpp"
#include "igbridge/store/meta.hpp"
#include "migrate.hpp"

#include <lmdb.h>
#include <sys/stat.h>

namespace igbridge {

namespace {

constexpr const char* db_names[] = {
  "users",         "ig_index",  "seen",         "seen_order",        "outbox",
  "outbox_due",    "dead",      "oauth_state",  "oauth_expiry",      "oauth_by_user",
  "hints",         "hint_due",  "schedule",     "resume",            "deletions",
  "deletion_requests", "counters", "attention", "dashboard",         "media_refs",
  "user_media",        "outbox_ids",      "imports",         "meta"};
static_assert(sizeof(db_names) / sizeof(db_names[0]) == db_count, "one name per db");

/// Throws store_error naming the operation when an LMDB call failed;
/// store_full when the map is full, so the writer can grow it and retry.
void check(int rc, const std::string& what) {
  if (rc == MDB_MAP_FULL) {
    throw store_full("store: " + what + ": " + mdb_strerror(rc));
  }
  if (rc != MDB_SUCCESS) {
    throw store_error("store: " + what + ": " + mdb_strerror(rc));
  }
}

MDB_val val_of(std::string_view s) {
  // LMDB never writes through mv_data of an input value.
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

std::string_view view_of(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

MDB_txn* txn_of(void* t, const char* op) {
  if (t == nullptr) {
    throw store_error(std::string("store: ") + op + ": transaction already finished");
  }
  return static_cast<MDB_txn*>(t);
}

/// mkdir -p with mode 0700: the store holds tokens.
void make_dirs(const std::string& dir) {
  std::string path;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    path = dir.substr(0, pos);
    if (path.empty()) {
      continue;
    }
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      throw store_error("store: cannot create directory " + path + ": " + std::strerror(errno));
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw store_error("store: " + dir + " is not a directory");
  }
}

struct cursor_closer {
  void operator()(MDB_cursor* c) const { mdb_cursor_close(c); }
};
using cursor_ptr = std::unique_ptr<MDB_cursor, cursor_closer>;

} // namespace

const char* name_of(db d) {
  return db_names[static_cast<std::size_t>(d)];
}

std::optional<db> db_named(std::string_view name) {
  for (std::size_t i = 0; i < db_count; ++i) {
    if (name == db_names[i]) {
      return static_cast<db>(i);
    }
  }
  return std::nullopt;
}

// -- read_txn -----------------------------------------------------------------

read_txn::read_txn(const store& s, bool write, void* parent) : store_(&s), txn_(nullptr) {
  if (parent == nullptr) {
    // Growth of the map waits until this transaction is gone.
    resize_guard_ = std::shared_lock<std::shared_mutex>(s.resize_);
  }
  MDB_txn* t = nullptr;
  check(mdb_txn_begin(static_cast<MDB_env*>(s.env_), static_cast<MDB_txn*>(parent),
                      write ? 0 : MDB_RDONLY, &t),
        write ? "begin write transaction" : "begin read transaction");
  txn_ = t;
}

read_txn::read_txn(read_txn&& other) noexcept
  : store_(other.store_), txn_(other.txn_), resize_guard_(std::move(other.resize_guard_)) {
  other.txn_ = nullptr;
}

read_txn::~read_txn() {
  if (txn_ != nullptr) {
    mdb_txn_abort(static_cast<MDB_txn*>(txn_));
  }
  // resize_guard_ is released after the abort: member order.
}

std::optional<std::string> read_txn::get(db d, std::string_view key) const {
  auto k = val_of(key);
  MDB_val v{};
  int rc = mdb_get(txn_of(txn_, "get"), store_->dbis_[static_cast<int>(d)], &k, &v);
  if (rc == MDB_NOTFOUND) {
    return std::nullopt;
  }
  check(rc, std::string("get ") + name_of(d));
  return std::string(view_of(v));
}

std::vector<std::string> read_txn::get_all(db d, std::string_view key) const {
  std::vector<std::string> out;
  scan(d, key, [&](std::string_view k, std::string_view v) {
    if (k != key) {
      return false;
    }
    out.emplace_back(v);
    return true;
  });
  return out;
}

void read_txn::scan(db d, std::string_view from,
                    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  MDB_cursor* raw = nullptr;
  check(mdb_cursor_open(txn_of(txn_, "scan"), store_->dbis_[static_cast<int>(d)], &raw),
        std::string("open cursor on ") + name_of(d));
  cursor_ptr cur{raw};
  MDB_val k = val_of(from);
  MDB_val v{};
  // LMDB refuses zero-length keys, so "from the start" is MDB_FIRST.
  int rc = mdb_cursor_get(cur.get(), &k, &v, from.empty() ? MDB_FIRST : MDB_SET_RANGE);
  while (rc == MDB_SUCCESS) {
    if (!fn(view_of(k), view_of(v))) {
      return;
    }
    // MDB_NEXT also steps through the duplicates of a dupsort key.
    rc = mdb_cursor_get(cur.get(), &k, &v, MDB_NEXT);
  }
  if (rc != MDB_NOTFOUND) {
    check(rc, std::string("scan ") + name_of(d));
  }
}

void read_txn::scan_prefix(db d, std::string_view prefix,
                           const std::function<bool(std::string_view, std::string_view)>& fn) const {
  scan(d, prefix, [&](std::string_view k, std::string_view v) {
    if (k.substr(0, prefix.size()) != prefix) {
      return false;
    }
    return fn(k, v);
  });
}

std::size_t read_txn::count(db d) const {
  MDB_stat st{};
  check(mdb_stat(txn_of(txn_, "count"), store_->dbis_[static_cast<int>(d)], &st),
        std::string("stat ") + name_of(d));
  return st.ms_entries;
}

// -- write_txn ----------------------------------------------------------------

void write_txn::record(db d, mutation::kind op, std::string_view key, std::string_view val) {
  if (store_->capture_) {
    // Appended in the changelog's own form: capture costs a copy of the
    // bytes into one growing buffer, never an allocation per change.
    if (captured_.empty()) {
      captured_.reserve(4096);
      begin_batch(captured_);
    }
    append_mutation(captured_, d, op, key, val);
    ++captured_count_;
  }
}

std::string write_txn::take_mutations() {
  if (captured_count_ == 0) {
    return {};
  }
  end_batch(captured_, captured_count_);
  captured_count_ = 0;
  auto out = std::move(captured_);
  captured_.clear();
  return out;
}

void write_txn::put(db d, std::string_view key, std::string_view val) {
  auto k = val_of(key);
  auto v = val_of(val);
  check(mdb_put(txn_of(txn_, "put"), store_->dbis_[static_cast<int>(d)], &k, &v, 0),
        std::string("put ") + name_of(d));
  record(d, mutation::kind::put, key, val);
}

bool write_txn::del(db d, std::string_view key) {
  // Captured with the value it removes (replay ignores it), so that a
  // change can be told to its user even where only the value names it
  // (outbox_ids: seq → user).
  std::optional<std::string> was;
  if (store_->capture_ && d != db::ig_index) {
    was = get(d, key);
  }
  auto k = val_of(key);
  int rc = mdb_del(txn_of(txn_, "del"), store_->dbis_[static_cast<int>(d)], &k, nullptr);
  if (rc == MDB_NOTFOUND) {
    return false;
  }
  check(rc, std::string("del ") + name_of(d));
  record(d, mutation::kind::del_key, key, was ? std::string_view(*was) : std::string_view{});
  return true;
}

bool write_txn::del(db d, std::string_view key, std::string_view val) {
  auto k = val_of(key);
  auto v = val_of(val);
  int rc = mdb_del(txn_of(txn_, "del"), store_->dbis_[static_cast<int>(d)], &k, &v);
  if (rc == MDB_NOTFOUND) {
    return false;
  }
  check(rc, std::string("del ") + name_of(d));
  record(d, mutation::kind::del_dup, key, val);
  return true;
}

write_txn write_txn::child() {
  return write_txn(*store_, txn_of(txn_, "begin child transaction"), this);
}

void write_txn::commit() {
  auto* t = txn_of(txn_, "commit");
  // mdb_txn_commit frees the transaction even when it fails.
  txn_ = nullptr;
  check(mdb_txn_commit(t), "commit");
  if (parent_ != nullptr && captured_count_ != 0) {
    // A child's changes are its parent's now; an aborted child's vanish
    // with it, as in LMDB.
    auto& into = parent_->captured_;
    if (into.empty()) {
      into = std::move(captured_);
    } else {
      append_batch(into, captured_);
    }
    parent_->captured_count_ += captured_count_;
    captured_.clear();
    captured_count_ = 0;
  }
}

void apply_mutations(write_txn& txn, const mutation_list& muts) {
  for (const auto& m : muts) {
    switch (m.op) {
      case mutation::kind::put:
        txn.put(m.d, m.key, m.value);
        break;
      case mutation::kind::del_dup:
        txn.del(m.d, m.key, m.value);
        break;
      case mutation::kind::del_key:
        txn.del(m.d, m.key);
        break;
    }
  }
}

// -- store --------------------------------------------------------------------

store::store(const std::string& dir, std::size_t map_size) : dir_(dir), env_(nullptr), dbis_{} {
  make_dirs(dir);
  MDB_env* env = nullptr;
  check(mdb_env_create(&env), "create environment");
  env_ = env;
  // The destructor does not run when the constructor throws: close here.
  try {
    check(mdb_env_set_maxdbs(env, 32), "set max databases");
    check(mdb_env_set_mapsize(env, map_size), "set map size");
    check(mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0600), "open " + dir);
    // A map grown by an earlier run is bigger than `map_size`: LMDB keeps
    // the larger of the two when asked for size 0 after opening.
    check(mdb_env_set_mapsize(env, 0), "adopt map size");
    write_txn w{*this};
    for (std::size_t i = 0; i < db_count; ++i) {
      unsigned flags = MDB_CREATE;
      if (static_cast<db>(i) == db::ig_index) {
        flags |= MDB_DUPSORT;
      }
      MDB_dbi dbi = 0;
      check(mdb_dbi_open(static_cast<MDB_txn*>(w.txn_), db_names[i], flags, &dbi),
            std::string("open database ") + db_names[i]);
      dbis_[i] = dbi;
    }
    auto found = meta::schema_version(w);
    if (!found) {
      meta::set_schema_version(w, schema_version);
    } else {
      long long v = 0;
      try {
        std::size_t used = 0;
        v = std::stoll(*found, &used);
        if (used != found->size()) {
          throw std::invalid_argument("trailing text");
        }
      } catch (const std::exception&) {
        throw store_error("database schema version '" + *found + "' is unreadable");
      }
      if (v > schema_version) {
        throw store_error("database schema version " + std::to_string(v)
                          + " is newer than this igbridge supports ("
                          + std::to_string(schema_version) + ")");
      }
      if (v < schema_version) {
        migrate_store(w, static_cast<int>(v));
        meta::set_schema_version(w, schema_version);
      }
    }
    w.commit();
  } catch (...) {
    mdb_env_close(env);
    env_ = nullptr;
    throw;
  }
}

store::~store() {
  if (env_ != nullptr) {
    mdb_env_close(static_cast<MDB_env*>(env_));
  }
}

read_txn store::read() const {
  return read_txn(*this, false);
}

write_txn store::write() const {
  return write_txn(*this);
}

void store::grow(std::size_t at_least) {
  std::unique_lock<std::shared_mutex> no_transactions{resize_};
  auto* env = static_cast<MDB_env*>(env_);
  MDB_envinfo info{};
  check(mdb_env_info(env, &info), "environment info");
  auto size = std::max(info.me_mapsize * 2, at_least);
  check(mdb_env_set_mapsize(env, size), "grow map");
}

std::pair<std::size_t, std::size_t> store::usage() const {
  auto* env = static_cast<MDB_env*>(env_);
  MDB_envinfo info{};
  MDB_stat st{};
  check(mdb_env_info(env, &info), "environment info");
  check(mdb_env_stat(env, &st), "environment stat");
  return {(info.me_last_pgno + 1) * std::size_t{st.ms_psize}, info.me_mapsize};
}

// -- keys ---------------------------------------------------------------------

std::string seq_key(uint64_t seq) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i) {
    k[i] = static_cast<char>(seq & 0xff);
    seq >>= 8;
  }
  return k;
}

uint64_t seq_from_key(std::string_view key) {
  if (key.size() != 8) {
    return 0;
  }
  uint64_t seq = 0;
  for (char c : key) {
    seq = (seq << 8) | static_cast<uint8_t>(c);
  }
  return seq;
}

} // namespace igbridge
