#pragma once
/// @brief The dashboard's stored figures (`dashboard`): the newest imports,
/// kept in the transactions that queue them, so /status reads one value.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "igbridge/store.hpp"

namespace igbridge::dashboard {

/// The newest imports, newest first (a JSON array).
nlohmann::json latest(const read_txn& txn);

/// `records` are import records queued in this transaction (reordered and
/// consumed); the newest few join the list.
void note_imports(write_txn& txn, std::vector<nlohmann::json>& records);

/// Gives the entries of records (id, media as a JSON array's text) their
/// stored media; the list is read and written once for all of them.
void note_stored_media(write_txn& txn,
                       const std::vector<std::pair<std::string, std::string>>& media);

/// Drops `user`'s entries.
void forget_user(write_txn& txn, const std::string& user);

/// v1 kept the list under `meta` ("recent_imports").
void put_raw_latest(write_txn& txn, const std::string& value);

} // namespace igbridge::dashboard
