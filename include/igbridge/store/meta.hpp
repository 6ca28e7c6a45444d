#pragma once
/// @brief The store's own facts (`meta`), each behind a typed accessor: the
/// schema version, the outbox's sequence counter and the webhook sink's
/// "gone" mark. No caller names a key.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "igbridge/store.hpp"

namespace igbridge::meta {

/// The schema version written in the store; nullopt in a new store.
std::optional<std::string> schema_version(const read_txn& txn);
void set_schema_version(write_txn& txn, int version);

/// The next outbox sequence number; it moves in the same transaction as the
/// entry that takes it, so numbers are never reused after a crash.
/// In cluster mode the number is in `user`'s shard's residue class
/// (store::partition_seqs).
uint64_t next_outbox_seq(write_txn& txn, std::string_view user);
/// Makes every later number larger than `at_least` (after a restore brought
/// entries numbered on another node).
void raise_outbox_seq(write_txn& txn, uint64_t at_least);

/// The webhook sink URL that answered 410 (deliveries are held while the
/// sink is that URL); empty: none.
std::string sink_gone(const read_txn& txn);
void set_sink_gone(write_txn& txn, const std::string& url);

/// v1's loose keys under meta: each (key, value) is handed to `move` and
/// removed when `move` returns true.
void move_loose_v1_keys(write_txn& txn,
                        const std::function<bool(const std::string&, const std::string&)>& move);

} // namespace igbridge::meta
