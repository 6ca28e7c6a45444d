#pragma once
/// @brief Each user's own next wake-up (poll, retry, token refresh) in time
/// order (`schedule`): the durable form of a user actor's delayed_send,
/// which survives passivation and restart. The users module keeps it in
/// step with the record; the scheduler reads its head.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "igbridge/store.hpp"
#include "igbridge/store/owners.hpp"
#include "igbridge/write_notes.hpp"

namespace igbridge::schedule {

/// Moves `user`'s entry from `from` to `to` (0: none) and notes the wake
/// when it moved.
void move(write_txn& txn, write_notes& notes, const std::string& user, int64_t from, int64_t to);

/// Entries in time order while `f(at, user)` returns true.
void each(const read_txn& txn, const std::function<bool(int64_t at, std::string user)>& f);

std::size_t count(const read_txn& txn);

/// Where this family's per-user records name their user (owners.hpp).
std::vector<owners::placement> user_placements();

} // namespace igbridge::schedule
