#pragma once
// Appending to the outbox inside a caller's write transaction, so that the
// append commits together with whatever caused it (seen marks, state).

#include <string>

#include "igbridge/records.hpp"
#include "igbridge/store.hpp"

namespace igbridge {

/// Next outbox sequence number; the counter lives in `meta` and moves in
/// the same transaction, so numbers are never reused after a crash.
uint64_t next_outbox_seq(write_txn& txn);

/// Stores `e` under a fresh sequence number (set in `e.seq`).
void append_outbox(write_txn& txn, outbox_entry& e);

/// A link.revoked event for `user`; `reason` is safe to deliver.
outbox_entry revoked_event(const std::string& user, const std::string& ig_user_id,
                           const std::string& reason, int64_t now);

} // namespace igbridge
