#pragma once
/// @brief What was delivered for each import (`imports`, user \0 media id):
/// the values the host holds (caption, tags, media type, children's ids),
/// so a later fetch can tell an edit, and the URL a Micropub server gave the
/// post (its `Location`), so an update or a delete can name it. Kept for as
/// long as the import: it is also what tells a backfill a post was imported
/// once, whatever the seen set pruned.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "igbridge/store.hpp"
#include "igbridge/store/owners.hpp"

namespace igbridge::imports {

struct delivered {
  std::string caption;
  std::vector<std::string> tags;     // normalized
  std::string media_type;
  std::vector<std::string> children; // carousel children's ids, in order
  std::string permalink;
  int64_t taken_at = 0;
  int64_t imported_at = 0;
  std::string location; // Micropub: the post's URL on the host; "" unknown
  std::vector<std::string> files; // its stored media files (media.store), released on deletion
  bool deleted = false; // media.deleted was queued
  /// False for imports made before the values were kept (schema 4's
  /// upgrade): the next sighting takes its values as they are, with no
  /// update for the host.
  bool values_known = true;
};

std::optional<delivered> get(const read_txn& txn, const std::string& user,
                             const std::string& media_id);
void put(write_txn& txn, const std::string& user, const std::string& media_id,
         const delivered& d);
/// The host answered the create with `url` (Micropub's Location).
void set_location(write_txn& txn, const std::string& user, const std::string& media_id,
                  const std::string& url);
/// The import's media were stored as `names` (no entry: nothing is made up).
void set_files(write_txn& txn, const std::string& user, const std::string& media_id,
               const std::vector<std::string>& names);
/// Of `names`, those no import of `user` but `media_id` (and none deleted)
/// still has among its stored files.
std::vector<std::string> files_only_of(const read_txn& txn, const std::string& user,
                                       const std::string& media_id,
                                       const std::vector<std::string>& names);
/// Every import of `user` goes (data deletion).
void erase_user(write_txn& txn, const std::string& user);

/// Schema 4: every seen id judged imported gets an entry whose values are
/// unknown (a backfill must still know it was imported).
void upgrade_to_v4(write_txn& txn);

/// The media id of an import record id ("instagram:<media id>").
std::string media_id_of(const std::string& record_id);

/// Where this family's per-user records name their user (owners.hpp).
std::vector<owners::placement> user_placements();

} // namespace igbridge::imports
