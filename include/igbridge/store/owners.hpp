#pragma once
/// @brief Whose record a captured change is (DESIGN §9, "where each record
/// family lives"): per-user families go to the user's shard; the rest
/// (OAuth states, deletions, counters, the dashboard, meta) are the node's
/// own and never leave it with a shard. Each family module says where its
/// records name their user (its user_placements()); this module reads the
/// changes by those, and drops a set of users' records wholesale (a shard
/// leaving the node).

#include <functional>
#include <optional>
#include <string_view>

#include "igbridge/store.hpp"

namespace igbridge::owners {

/// Where a per-user record names its user.
enum class user_at {
  key,                   // the key is the user
  key_prefix,            // user \0 …
  key_suffix,            // … \0 user
  key_after_time,        // be64(time) user
  key_after_time_prefix, // be64(time) user \0 …
  value,                 // the value (a removal: the value it removed)
  value_dup,             // the value, one duplicate each (dupsort)
};

struct placement {
  db d;
  user_at at;
};

/// The app user the change belongs to; nullopt for a node's own record.
/// `value` is the put's value, or the value a del_key removed (captured).
std::optional<std::string_view> user_of(db d, mutation::kind op, std::string_view key,
                                        std::string_view value);

/// Whether records of `d` belong to users (and so to shards).
bool per_user(db d);

/// Removes every per-user record of the users `drop` names. Stored media
/// files stay (the node's own: other shards' imports may share them).
/// Returns how many records went.
std::size_t drop_users(write_txn& txn, const std::function<bool(std::string_view user)>& drop);

/// Every per-user record of the users `keep` names, appended to `batch` (a
/// begun batch, mutations.hpp) as puts: replayed onto a store without
/// them, it rebuilds them (a shard's snapshot). Returns how many.
uint32_t dump_users(const read_txn& txn, const std::function<bool(std::string_view user)>& keep,
                    std::string& batch);

} // namespace igbridge::owners
