#pragma once
// Appending to the outbox inside a caller's write transaction, so that the
// append commits together with whatever caused it (seen marks, state).

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "igbridge/messages.hpp"
#include "igbridge/records.hpp"
#include "igbridge/store.hpp"

namespace igbridge {

/// Next outbox sequence number; the counter lives in `meta` and moves in
/// the same transaction, so numbers are never reused after a crash.
uint64_t next_outbox_seq(write_txn& txn);

/// Stores `e` under a fresh sequence number (set in `e.seq`) and indexes it
/// by its next attempt; the delivery actor hears of it after the commit.
void append_outbox(write_txn& txn, write_notes& notes, outbox_entry& e);

/// The dashboard's "latest imports": the newest records first, bounded;
/// `records` are import records queued in this transaction (reordered and
/// consumed).
void note_latest_imports(write_txn& txn, std::vector<nlohmann::json>& records);

/// Gives the dashboard's entries of records (id, media as a JSON array)
/// their stored media; the list is read and written once for all of them.
void note_stored_media(write_txn& txn,
                       const std::vector<std::pair<std::string, std::string>>& media);

/// Drops `user`'s entries from the dashboard's latest imports.
void forget_latest_imports(write_txn& txn, const std::string& user);

/// A link.revoked event for `user`; `reason` is safe to deliver.
outbox_entry revoked_event(const std::string& user, const std::string& ig_user_id,
                           const std::string& reason, int64_t now);

} // namespace igbridge
