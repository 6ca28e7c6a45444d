#pragma once
/// @brief Captured mutations in bytes: the form a committed batch takes on
/// its way to a shard's changelog (or, for tests, a file), and back. A
/// database is named by its name, not its enum value, so a batch outlives
/// a reordering of the enum.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "igbridge/store.hpp"

namespace igbridge {

/// "IGM1", a count, then per mutation: op byte, database name, key, value
/// (each length-prefixed, big-endian).
std::string encode_mutations(const mutation_list& m);

/// The same form built as the changes happen (a capturing write_txn): a
/// batch begun empty, one change appended at a time, its count written at
/// the end. One buffer that grows, no allocation per change.
void begin_batch(std::string& out);
void append_mutation(std::string& out, db d, mutation::kind op, std::string_view key,
                     std::string_view value);
/// Appends a batch's changes (another begun batch, a child's) to `out`.
void append_batch(std::string& out, std::string_view batch);
void end_batch(std::string& out, uint32_t count);
/// Visits each change of a batch, finished or still being captured (its
/// count is not read), without copying; false when the bytes are not
/// well-formed, after visiting what came before the fault.
bool for_each_mutation(std::string_view batch,
                       const std::function<void(db, mutation::kind, std::string_view key,
                                                std::string_view value)>& each);
/// nullopt when the bytes are not a whole batch of known databases.
std::optional<mutation_list> decode_mutations(std::string_view bytes);

/// A database by name; nullopt when unknown.
std::optional<db> db_named(std::string_view name);
const char* name_of(db d);

} // namespace igbridge
