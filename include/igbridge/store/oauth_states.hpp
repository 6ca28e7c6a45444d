#pragma once
/// @brief Pending OAuth attempts: each single-use state by its nonce
/// (`oauth_state`), with an index by expiry for the sweep (`oauth_expiry`)
/// and one by app user (`oauth_by_user`) that bounds the live states per
/// user and finds them when the user is erased.

#include <cstdint>
#include <optional>
#include <string>

#include "igbridge/records.hpp"
#include "igbridge/store.hpp"

namespace igbridge::oauth_states {

/// Stores a new state; the oldest of the user's live states make room
/// (a few tabs, not an unbounded pile) and a few expired ones are swept.
void add(write_txn& txn, const std::string& nonce, const oauth_state& s, int64_t now);

enum class check { ok, unknown, expired, cookie_mismatch };

/// Whether `s` may be used now by the browser presenting `cookie` (never
/// `unknown`): what consume() checks, for a state kept elsewhere (the
/// cluster's bucket).
check verify(const oauth_state& s, const std::string& cookie, int64_t now);

/// Consumes the state when it is valid: it can be used once only. A cookie
/// mismatch leaves it in place, so a forged request cannot burn the real
/// one; an expired one goes.
check consume(write_txn& txn, const std::string& nonce, const std::string& cookie, int64_t now,
              oauth_state& out);

/// The state of `nonce`, if any (a cancelled attempt is identified by it).
std::optional<oauth_state> find(const read_txn& txn, const std::string& nonce);

/// Removes one state and its index entries.
void drop(write_txn& txn, const std::string& nonce, const oauth_state& s);

/// Every live state of `user` goes.
void erase_user(write_txn& txn, const std::string& user);

/// v1's states carried no indexes: they live ten minutes, so they go.
void drop_all(write_txn& txn);

} // namespace igbridge::oauth_states
