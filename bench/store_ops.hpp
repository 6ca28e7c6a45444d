#pragma once
/// @brief What bench/store_ops.cpp times, and the one layer that knows the
/// store's API (bench/store_ops_families.cpp over the record-family modules;
/// bench/store_ops_c83d16d.cpp.in, the same over the tables of the commit
/// before them, built only in a worktree at that commit). The driver seeds
/// others' entries once, then times one user's operation many times.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "igbridge/store.hpp"

namespace store_ops {

/// One timed transaction: the operation's own work, and with the commit.
struct sample {
  double op_s = 0;
  double txn_s = 0;
};

/// Runs `f(txn)` in one write transaction and commits it, timed. A full map
/// grows and the transaction runs again (its time is the last run's).
template <class F>
sample timed_write(igbridge::store& db, F&& f) {
  using clock = std::chrono::steady_clock;
  for (;;) {
    try {
      auto t0 = clock::now();
      auto txn = db.write();
      f(txn);
      auto t1 = clock::now();
      txn.commit();
      auto t2 = clock::now();
      return {std::chrono::duration<double>(t1 - t0).count(),
              std::chrono::duration<double>(t2 - t0).count()};
    } catch (const igbridge::store_full&) {
      db.grow();
    }
  }
}

/// Runs `f(txn, i)` for i in [0, n), `chunk` to a transaction; a chunk that
/// fills the map runs again after it grew.
template <class F>
void seed_in_chunks(igbridge::store& db, uint64_t n, uint64_t chunk, F&& f) {
  for (uint64_t from = 0; from < n;) {
    auto to = std::min(n, from + chunk);
    try {
      auto txn = db.write();
      for (auto i = from; i < to; ++i) {
        f(txn, i);
      }
      txn.commit();
      from = to;
    } catch (const igbridge::store_full&) {
      db.grow();
    }
  }
}

/// An import record's JSON, as the outbox and dashboard hold it (~450 bytes).
inline std::string import_record(const std::string& user, uint64_t n) {
  auto id = std::to_string(17900000000000000ULL + n);
  return R"({"id":"instagram:)" + id + R"(","user":")" + user
         + R"(","instagram_user_id":"17841400000000000","username":"someone","media_type":"IMAGE",)"
           R"("permalink":"https://www.instagram.com/p/C0dEfGhIjKl/","media_url":"https://scontent.cdninstagram.com/v/t51.29350-15/)"
         + id + R"(_n.jpg","caption":"A day at the market with friends #bench #igbridge",)"
           R"("hashtags":["bench","igbridge"],"taken_at":"2026-12-01T10:00:00Z","imported_at":"2026-12-01T10:05:00Z"})";
}

/// The app user the operations are timed on.
inline const std::string target = "target";

// -- the store layer ------------------------------------------------------------------

/// `n` outbox entries of other users (10 per user, every tenth a dead
/// letter), in transactions of at most `chunk` entries.
void seed_outbox_others(igbridge::store& db, uint64_t n, uint64_t chunk, int64_t now);
/// `n` other linked, active users, each with a hint due an hour ago.
void seed_due_hints_others(igbridge::store& db, uint64_t n, uint64_t chunk, int64_t now);

/// Everything an erase removes, for `target`: the user record and its
/// indexes, 50 seen ids, a hint, resume cursors, 10 outbox entries (2 of
/// them dead letters) and what was delivered for each (where the store
/// keeps it), 2 OAuth states, 2 dashboard entries, 2 media files.
void seed_target(igbridge::store& db, int64_t now);
/// `target` linked and active, with a hint due an hour ago.
void seed_settling_target(igbridge::store& db, int64_t now);

/// The user actor's erase (user.cpp on_erase): every family's share of the
/// user, then the record, in one transaction.
sample erase_target(igbridge::store& db);
/// The user actor's settle (user.cpp settle_entries, as its write job runs
/// it): the hint looked at, the record and its schedule entry stored again.
sample settle_target(igbridge::store& db, int64_t now);

/// Mutation capture around a timed commit (issue 21, must-show 3): off;
/// on (the batch's mutations recorded, taken after the commit and freed);
/// file (also encoded and appended to a file on tmpfs, as the daemon does
/// under IGBRIDGE_CHANGELOG_FILE). Only where the store can capture.
enum class capture { off, on, file };

/// `target` linked, for page_target.
void seed_page_user(igbridge::store& db, int64_t now);
/// One page's transaction of a fetch (user_fetch.cpp page_write): 100 new
/// posts of `target` imported, each marked seen, queued in the outbox and
/// its delivered values kept; the dashboard's list and the record stored.
sample page_target(igbridge::store& db, int64_t now, capture c);
/// 200 linked users, for hints_batch.
void seed_hinted_users(igbridge::store& db, int64_t now);
/// One group commit of 16 webhooks (writer.cpp run_batch): each payload's
/// hint fanned out to one of the 200 users' inboxes.
sample hints_batch(igbridge::store& db, int64_t now, capture c);

/// Throws unless the store holds what the seeding and the operations should
/// have left: the others' entries untouched; `target` gone when `erased`.
void check(igbridge::store& db, const std::string& op, uint64_t others, bool erased);

} // namespace store_ops
