#pragma once
// What the host is told about a post it already has (DESIGN §9): an edit
// becomes media.updated, a post gone from Instagram (or untagged, with
// import.on_untag = "delete") becomes media.deleted. Both compare with, and
// then rewrite, what was delivered (the imports family), in the caller's
// transaction.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "igbridge/provider.hpp"
#include "igbridge/records.hpp"
#include "igbridge/store.hpp"
#include "igbridge/store/imports.hpp"
#include "igbridge/write_notes.hpp"

namespace igbridge {

/// Listed again: `item`, imported before, compared with what the host was
/// given while it is younger than `recheck_s`. A change of caption, tags,
/// media type or children's ids (never URLs: they are re-signed on every
/// listing) queues one event; `still_matches` says whether its tags still
/// match the user's rules. Returns the event queued.
std::optional<event_type> recheck_import(write_txn& txn, write_notes& notes,
                                         const user_record& rec, const media_item& item,
                                         bool still_matches, bool delete_on_untag, int64_t now,
                                         int64_t recheck_s);

/// `item` (taken at `taken_at`) is imported: media.imported is queued and
/// what the host is given is kept for later comparisons. Returns the
/// import record (for the dashboard).
nlohmann::json queue_import(write_txn& txn, write_notes& notes, user_record& rec,
                            const media_item& item, int64_t taken_at, int64_t now);

/// Post `media_id` is gone from Instagram: media.deleted is queued unless
/// one was already. Returns whether it was queued.
bool queue_deleted(write_txn& txn, write_notes& notes, const user_record& rec,
                   const std::string& media_id, int64_t now);

} // namespace igbridge
