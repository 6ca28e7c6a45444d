#pragma once
/// @brief Each user's inbox of webhook hints: the pending hints folded into
/// one record (`hints`) and the time-ordered queue the scheduler reads
/// (`hint_due`). Invariant: a user with a hint has exactly one queue entry,
/// at the hint's `queued_at`, so it is always found and moved by its key.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "igbridge/records.hpp"
#include "igbridge/store.hpp"
#include "igbridge/store/owners.hpp"
#include "igbridge/write_notes.hpp"

namespace igbridge::inbox {

std::optional<hint> get(const read_txn& txn, const std::string& user);

/// What one webhook payload's hints found.
struct fanout_count {
  std::size_t hinted = 0;  // app users hinted
  std::size_t unknown = 0; // Instagram ids with no linked, active user
};

/// Fans a verified webhook's Instagram ids out to the inboxes of their
/// linked, active app users. It remembers who those are between calls:
/// ingesting hints changes no user record or index, so what was read stays
/// true until a write of another kind runs, and then forget() must be
/// called (the writer does, for any batch with other jobs, or a failed
/// one). Until then a hint costs no index scan and no record decoded.
class fanout {
public:
  fanout_count add(write_txn& txn, write_notes& notes, const std::vector<std::string>& ig_ids,
                   int64_t now, int64_t delay);
  void forget() { known_.clear(); }

private:
  const std::vector<std::string>& active_users_of(write_txn& txn, const std::string& ig);
  std::unordered_map<std::string, std::vector<std::string>> known_;
};

/// Moves the user's queue entry to no earlier than `until` (a fetch that
/// could not run is not retried before its backoff).
void defer(write_txn& txn, write_notes& notes, const std::string& user, int64_t until,
           int64_t delay);

/// After a fetch that started at `started`: the hints due by then are
/// discharged, the rest queue again, at no earlier than `not_before`.
void discharge(write_txn& txn, write_notes& notes, const std::string& user, int64_t started,
               int64_t delay, int64_t not_before);

/// Drops the user's hints and queue entry (unlinked, needs re-linking, erased).
void drop(write_txn& txn, const std::string& user);

/// Queue entries in time order while `f(at, user)` returns true.
void each_queued(const read_txn& txn, const std::function<bool(int64_t at, std::string user)>& f);

/// Schema upgrades: v1 kept {"due_at","received_at"} JSON; v4 keeps the
/// queue entry's time in the hint and drops entries no hint owns.
void upgrade_from_v1(write_txn& txn);
void upgrade_to_v4(write_txn& txn);

/// Where this family's per-user records name their user (owners.hpp).
std::vector<owners::placement> user_placements();

} // namespace igbridge::inbox
