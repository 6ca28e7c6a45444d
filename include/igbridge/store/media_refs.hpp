#pragma once
/// @brief Who references which stored media file: by file (`media_refs`,
/// name \0 user) and by user (`user_media`, user \0 name), written in the
/// transactions that store or erase imports, so that erasing a user removes
/// exactly the files no other user's import needs.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "igbridge/store.hpp"
#include "igbridge/store/owners.hpp"
#include "igbridge/write_notes.hpp"

namespace igbridge::media_refs {

/// `user` references the stored files `names`.
void add(write_txn& txn, const std::string& user, const std::vector<std::string>& names);

/// Drops `user`'s references; files nobody references any more are named
/// in `notes.media_gone` and removed by the writer after the commit.
void forget_user(write_txn& txn, write_notes& notes, const std::string& user);

/// Drops `user`'s references to `names` (a deleted post's files that no
/// other import of the user has); those nobody references any more are
/// named in `notes.media_gone`.
void release(write_txn& txn, write_notes& notes, const std::string& user,
             const std::vector<std::string>& names);

/// Whether anyone references `name`.
bool referenced(const read_txn& txn, const std::string& name);

/// Where this family's per-user records name their user (owners.hpp).
std::vector<owners::placement> user_placements();

} // namespace igbridge::media_refs
