// Schema upgrades, in order; each record family rewrites its own keys
// (its module owns the layout, old and new).
//
// 1 → 2: v1 kept hints, resume cursors, deletion records and the dashboard
//   list in loose JSON (some under `meta`), seen marks as text, and no
//   indexes; v2 reads everything through typed tables and keeps indexes
//   (schedule, due outbox, hint queue) and counters that spare the daemon
//   every full scan.
// 2 → 3: nothing to rewrite. Hints and outbox entries are written in binary
//   form from then on and the JSON ones are still read.
// 3 → 4: per-user families keyed by user (outbox, dead letters, with an id
//   index), and hints that know their queue entry.

#include "migrate.hpp"

#include <nlohmann/json.hpp>

#include "igbridge/store/dashboard.hpp"
#include "igbridge/store/deletions.hpp"
#include "igbridge/store/imports.hpp"
#include "igbridge/store/inbox.hpp"
#include "igbridge/store/meta.hpp"
#include "igbridge/store/oauth_states.hpp"
#include "igbridge/store/outbox.hpp"
#include "igbridge/store/resume.hpp"
#include "igbridge/store/seen.hpp"
#include "igbridge/store/users.hpp"

namespace igbridge {

namespace {

/// Loose keys of v1's `meta` move to their own families.
bool move_v1_meta_key(write_txn& txn, const std::string& k, const std::string& v) {
  if (k == "recent_imports") {
    dashboard::put_raw_latest(txn, v);
    return true;
  }
  if (k.rfind("deletion:", 0) == 0) {
    auto j = nlohmann::json::parse(v, nullptr, false);
    if (j.is_object()) {
      deletion_record d;
      d.status = j.value("status", std::string("completed")) == "in_progress"
                   ? deletion_status::in_progress
                   : deletion_status::completed;
      d.instagram_user_id = j.value("instagram_user_id", std::string{});
      d.users = j.value("users", uint64_t{0});
      deletions::put_raw(txn, k.substr(9), d);
    }
    return true;
  }
  if (k.rfind("fetch_resume", 0) == 0) {
    auto nul = k.find('\0');
    if (nul != std::string::npos) {
      resume::put_raw(txn, k.substr(nul + 1), v);
    }
    return true;
  }
  return false;
}

void from_v1(write_txn& txn) {
  auto counts = seen::upgrade_from_v1(txn);
  users::upgrade_from_v1(txn, [&](const std::string& user) {
    auto i = counts.find(user);
    return i == counts.end() ? uint64_t{0} : i->second;
  });
  inbox::upgrade_from_v1(txn);
  outbox::upgrade_from_v1(txn);
  meta::move_loose_v1_keys(txn, [&](const std::string& k, const std::string& v) {
    return move_v1_meta_key(txn, k, v);
  });
  // Half-finished OAuth flows of the old version live ten minutes; v2 keeps
  // indexes beside them, so they are simply dropped.
  oauth_states::drop_all(txn);
}

void to_v4(write_txn& txn) {
  outbox::upgrade_to_v4(txn);
  inbox::upgrade_to_v4(txn);
  imports::upgrade_to_v4(txn);
}

} // namespace

void migrate_store(write_txn& txn, int from) {
  if (from < 1 || from >= schema_version) {
    throw store_error("database schema version " + std::to_string(from) + " cannot be upgraded");
  }
  if (from == 1) {
    from_v1(txn);
  }
  if (from < 4) {
    to_v4(txn);
  }
}

} // namespace igbridge
