#pragma once
// Upgrading a store written by an older igbridge, inside the transaction
// that opens it: either the whole upgrade commits or nothing changes.

#include "igbridge/store.hpp"

namespace igbridge {

/// Brings a store of schema `from` to schema_version; throws store_error
/// when `from` is unknown.
void migrate_store(write_txn& txn, int from);

} // namespace igbridge
