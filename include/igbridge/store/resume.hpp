#pragma once
/// @brief Each user's resume cursors (`resume`): the next-page URLs of fetch
/// runs cut short, without their access token, stored in the transaction of
/// the page that meant to go on, for the account they belong to.

#include <string>
#include <vector>

#include "igbridge/records.hpp"
#include <optional>
#include <string_view>

#include "igbridge/store.hpp"
#include "igbridge/store/owners.hpp"

namespace igbridge::resume {

/// The cursors stored for `rec`'s current account (another account's are
/// ignored: they predate a re-link), oldest first.
std::vector<std::string> load(const read_txn& txn, const user_record& rec);

/// Stores the newest `max_kept` of `urls` (none: the entry goes).
void save(write_txn& txn, const user_record& rec, std::vector<std::string> urls);

/// Keeps the newest cursors a save would keep.
void bound(std::vector<std::string>& urls);

void forget(write_txn& txn, const std::string& user);

/// v1 kept cursors under `meta` ("fetch_resume\0<user>").
void put_raw(write_txn& txn, const std::string& user, const std::string& value);

/// Where this family's per-user records name their user (owners.hpp).
std::vector<owners::placement> user_placements();

} // namespace igbridge::resume
