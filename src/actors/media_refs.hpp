#pragma once
// Who references which stored media file, kept in the same transactions
// that store or erase imports, so that erasing a user removes exactly the
// files no other user's import needs.

#include <string>

#include "igbridge/messages.hpp"
#include "igbridge/store.hpp"

namespace igbridge {

/// Drops `user`'s references; files nobody references any more are named in
/// `notes.media_gone` and removed by the writer after the commit.
void forget_user_media(write_txn& txn, write_notes& notes, const std::string& user);

} // namespace igbridge
