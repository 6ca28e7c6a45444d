#pragma once
/// @brief The user records (`users`) and what is derived from each one in
/// the transaction that changes it: the Instagram-id lookup (`ig_index`),
/// the per-state counts (`counters`), the operator's attention list
/// (`attention`) and, through the schedule module, the user's own wake-up.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "igbridge/records.hpp"
#include "igbridge/store.hpp"
#include "igbridge/store/owners.hpp"
#include "igbridge/write_notes.hpp"

namespace igbridge::users {

std::optional<user_record> get(const read_txn& txn, const std::string& user);
bool exists(const read_txn& txn, const std::string& user);

/// Stores `after` (erases the record when null) and brings every derived
/// entry in line with it; `before` is what the store held. Sets
/// `after->scheduled_at` to the schedule entry it keeps.
void store(write_txn& txn, write_notes& notes, const std::optional<user_record>& before,
           user_record* after);

/// Records in key order from `from` (inclusive; "" = the first) while
/// `f(record)` returns true.
void each(const read_txn& txn, const std::string& from,
          const std::function<bool(const user_record&)>& f);

/// The app users an Instagram id (professional or app-scoped) is linked to.
std::vector<std::string> of_instagram_id(const read_txn& txn, const std::string& ig_id);

/// Users in state `s`, kept without a scan.
int64_t count(const read_txn& txn, user_state s);

/// The users needing attention (JSON views), at most `limit`.
std::vector<nlohmann::json> attention(const read_txn& txn, std::size_t limit);

/// Schema upgrades of this family (migrate.cpp calls them in order).
void upgrade_from_v1(write_txn& txn, const std::function<uint64_t(const std::string&)>& seen_count);

/// The Instagram ids (professional, app-scoped) a record is found by.
std::vector<std::string> instagram_ids(const user_record& r);

/// A change of the Instagram-id index, told from a captured change (the
/// cluster mirrors the index in a replicated bucket); nullopt for any
/// other change.
struct index_change {
  std::string_view instagram_id;
  std::string_view user;
  bool added = false;
};
std::optional<index_change> index_change_of(db d, mutation::kind op, std::string_view key,
                                            std::string_view value);

/// Where this family's per-user records name their user (owners.hpp).
std::vector<owners::placement> user_placements();

} // namespace igbridge::users
