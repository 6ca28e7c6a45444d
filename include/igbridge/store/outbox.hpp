#pragma once
/// @brief The outbox: what waits for the sink, per user in commit order
/// (`outbox`, user \0 seq), the same entries by next attempt (`outbox_due`),
/// the dead letters (`dead`, user \0 seq), and every id's user
/// (`outbox_ids`), so an entry is found by the id the admin API shows and a
/// user's entries are one key range.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "igbridge/records.hpp"
#include "igbridge/store.hpp"
#include "igbridge/store/owners.hpp"
#include "igbridge/write_notes.hpp"

namespace igbridge::outbox {

/// Queues `e` under a fresh sequence number (set in `e.seq`), due at
/// e.next_attempt_at; the delivery actor hears of it after the commit.
void append(write_txn& txn, write_notes& notes, outbox_entry& e);

/// What to do with a due entry before it is read.
enum class scan_step { read, skip, stop };

/// Visits the entries due by `now`, oldest due first: `decide(user, seq)`
/// says whether to read one (so a pass decodes only what it can take),
/// `take` gets those read and returns false to stop. `next_due` becomes
/// the time of the first entry not yet due (0: none, or the scan stopped
/// first).
void scan_due(const read_txn& txn, int64_t now,
              const std::function<scan_step(std::string_view user, uint64_t seq)>& decide,
              const std::function<bool(outbox_entry&& e)>& take, int64_t& next_due);

/// Whether `seq` is the first of its user's queued entries: a user's events
/// go to the host in the order they were committed (DESIGN §9).
bool is_head(const read_txn& txn, const std::string& user, uint64_t seq);

/// Whether `seq` comes right after `prev` among `user`'s queued entries:
/// a sink that delivers a batch in order, whole or not at all, may carry a
/// user's consecutive entries in one batch.
bool follows(const read_txn& txn, const std::string& user, uint64_t prev, uint64_t seq);

/// Whether `user` has a dead letter: it holds that user's later events
/// until it is replayed or dropped.
bool held(const read_txn& txn, const std::string& user);

/// The users a dead letter holds, at most `limit`, in key order.
std::vector<std::string> held_users(const read_txn& txn, std::size_t limit);

/// A dead letter goes for good (`igbridge outbox drop ID`): the user's
/// later events may go. False when `seq` is not a dead letter.
bool drop(write_txn& txn, write_notes& notes, uint64_t seq);

/// Every queued entry of `user` that has not been sent goes; returns how
/// many (a data deletion sends account.deleted alone).
std::size_t discard_user(write_txn& txn, const std::string& user);

/// The entries due by `now`, oldest due first, at most `room`, skipping
/// those `skip` names; `next_due` as scan_due's.
std::vector<outbox_entry> due(const read_txn& txn, int64_t now, std::size_t room,
                              const std::function<bool(uint64_t seq)>& skip, int64_t& next_due);

/// A queued entry by id.
std::optional<outbox_entry> get(const read_txn& txn, uint64_t seq);
/// A dead letter by id.
std::optional<outbox_entry> get_dead(const read_txn& txn, uint64_t seq);

/// Delivered: the entry goes. False when it was not queued (erased meanwhile).
bool remove(write_txn& txn, uint64_t seq);

/// Stores `e` again (its record or attempts changed), due at its
/// next_attempt_at; `was_due` is the time it was due at before.
void update(write_txn& txn, const outbox_entry& e, int64_t was_due);

/// The last attempt failed: the entry becomes a dead letter.
void bury(write_txn& txn, const outbox_entry& e);

/// A dead letter goes back to the queue, due at `now`, with its attempts
/// reset. False when `seq` is not a dead letter.
bool replay(write_txn& txn, write_notes& notes, uint64_t seq, int64_t now);

/// Every queued entry and dead letter of `user` goes.
void erase_user(write_txn& txn, const std::string& user);

std::size_t queued(const read_txn& txn);
std::size_t dead_count(const read_txn& txn);
/// created_at of the oldest queued entry; 0 when none.
int64_t oldest_created(const read_txn& txn);
/// Queued entries (or dead letters) in id order while `f` returns true.
void each(const read_txn& txn, bool dead, const std::function<bool(const outbox_entry&)>& f);

/// Schema upgrades: v1 had no due index; v4 keys entries by user.
void upgrade_from_v1(write_txn& txn);
void upgrade_to_v4(write_txn& txn);

/// The highest number an outbox or dead entry holds (0: none).
uint64_t highest_seq(const read_txn& txn);

/// Where this family's per-user records name their user (owners.hpp).
std::vector<owners::placement> user_placements();

} // namespace igbridge::outbox
