#pragma once
/// @brief Each user's seen set: every media id its fetches looked at, with
/// the verdict (`seen`), and the same ids in the order the posts were taken
/// (`seen_order`), so that the oldest can be pruned and the oldest young
/// provisional verdict found without a scan of the set.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <string_view>

#include "igbridge/records.hpp"
#include "igbridge/store.hpp"
#include "igbridge/store/owners.hpp"

namespace igbridge::seen {

std::optional<seen_entry> get(const read_txn& txn, const std::string& user,
                              std::string_view media_id);

/// Stores `e` for `media_id`; a new id (`is_new`) also joins the order and
/// counts in `rec.seen_count`.
void put(write_txn& txn, user_record& rec, std::string_view media_id, const seen_entry& e,
         bool is_new);

/// The posts younger than `recheck_s` judged imported, oldest first (media
/// id, taken_at): the imports a fetch rechecks for edits and deletions.
std::vector<std::pair<std::string, int64_t>> young_imports(const read_txn& txn,
                                                           const std::string& user, int64_t now,
                                                           int64_t recheck_s);

/// taken_at of the oldest post younger than `recheck_s` whose verdict is
/// still provisional (not imported); 0 when there is none.
int64_t oldest_provisional(const read_txn& txn, const std::string& user, int64_t now,
                           int64_t recheck_s);

/// Keeps the newest `keep` ids and every id younger than `recheck_s`.
void prune(write_txn& txn, user_record& rec, int64_t now, int64_t keep, int64_t recheck_s);

/// Visits every id judged imported, of every user (upgrades).
void each_imported(const read_txn& txn,
                   const std::function<void(const std::string& user, std::string_view media_id,
                                            const seen_entry& e)>& f);

/// The user's ids taken at or after `since`, oldest first, while `f`
/// returns true.
void each_since(const read_txn& txn, const std::string& user, int64_t since,
                const std::function<bool(std::string_view media_id, const seen_entry& e)>& f);

/// Removes the user's whole set.
void erase_user(write_txn& txn, const std::string& user);

/// v1 kept "<unix time> <verdict>" as text: rewritten, and the order built.
/// Returns each user's count.
std::map<std::string, uint64_t> upgrade_from_v1(write_txn& txn);

/// Where this family's per-user records name their user (owners.hpp).
std::vector<owners::placement> user_placements();

} // namespace igbridge::seen
