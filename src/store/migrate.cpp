// Schema 1 → 2. Version 1 kept hints, resume cursors, deletion records and
// the dashboard list in loose JSON (some under `meta`), seen marks as text,
// and no indexes. Version 2 reads everything through typed tables and keeps
// indexes (schedule, due outbox, hint queue) and counters that spare the
// daemon every full scan; this builds them once from what v1 stored.

#include "migrate.hpp"

#include <cstdlib>
#include <map>

#include <nlohmann/json.hpp>

#include "igbridge/tables.hpp"

namespace igbridge {

namespace {

using nlohmann::json;

int64_t int_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

/// v1 users carried the state as a string, as v2 does; what is new are the
/// schedule entry, the seen count and the per-state counters.
void users_v1(write_txn& txn, std::map<std::string, uint64_t>& seen_counts) {
  std::vector<user_record> users;
  tables::users.each(txn, [&](const std::string&, const user_record& r) {
    users.push_back(r);
    return true;
  });
  for (auto& r : users) {
    r.seen_count = seen_counts[r.user];
    r.scheduled_at = r.state == user_state::active ? own_due(r) : 0;
    if (r.state == user_state::active && r.scheduled_at == 0) {
      r.scheduled_at = 1; // due at once: the scheduler spreads overdue users
    }
    if (r.scheduled_at != 0) {
      tables::schedule.put(txn, {r.scheduled_at, r.user}, {});
    }
    add_counter(txn, users_counter(r.state), 1);
    if (!r.app_scoped_id.empty()) {
      txn.put(db::ig_index, r.app_scoped_id, r.user);
    }
    tables::users.put(txn, r.user, r);
  }
}

/// v1 seen values were "<unix time> <verdict>".
std::map<std::string, uint64_t> seen_v1(write_txn& txn) {
  std::vector<std::pair<std::string, std::string>> old;
  txn.scan(db::seen, {}, [&](std::string_view k, std::string_view v) {
    old.emplace_back(std::string(k), std::string(v));
    return true;
  });
  std::map<std::string, uint64_t> counts;
  for (auto& [k, v] : old) {
    auto nul = k.find('\0');
    if (nul == std::string::npos || decode_seen(v)) {
      continue;
    }
    seen_entry e;
    e.first_seen = std::atoll(v.c_str());
    e.taken_at = e.first_seen;
    e.judged = v.find("imported") != std::string::npos ? verdict::imported
               : v.find("blocked") != std::string::npos ? verdict::blocked
                                                         : verdict::untagged;
    // No caption was kept: a provisional verdict is redone on the next
    // sighting, which imports at most once (the seen mark says so).
    e.caption_hash = 0;
    auto user = k.substr(0, nul);
    auto media = k.substr(nul + 1);
    txn.put(db::seen, k, encode(e));
    txn.put(db::seen_order, seen_order_key(user, e.taken_at, media), {});
    ++counts[user];
  }
  return counts;
}

void hints_v1(write_txn& txn) {
  std::vector<std::pair<std::string, json>> old;
  txn.scan(db::hints, {}, [&](std::string_view k, std::string_view v) {
    auto j = json::parse(v, nullptr, false);
    if (j.is_object() && j.contains("due_at")) {
      old.emplace_back(std::string(k), std::move(j));
    }
    return true;
  });
  for (auto& [user, j] : old) {
    hint h;
    h.first_due = h.last_due = int_of(j, "due_at");
    h.received_at = int_of(j, "received_at");
    tables::hints.put(txn, user, h);
    tables::hint_due.put(txn, {h.first_due, user}, {});
  }
}

void outbox_v1(write_txn& txn) {
  std::vector<outbox_entry> entries;
  tables::outbox.each(txn, [&](uint64_t, const outbox_entry& e) {
    entries.push_back(e);
    return true;
  });
  for (auto& e : entries) {
    txn.put(db::outbox_due, due_key(e.next_attempt_at, e.seq), {});
  }
}

/// Loose keys of v1's `meta` move to their own tables.
void meta_v1(write_txn& txn) {
  std::vector<std::pair<std::string, std::string>> moved;
  txn.scan(db::meta, {}, [&](std::string_view k, std::string_view v) {
    if (k.rfind("fetch_resume", 0) == 0 || k.rfind("deletion:", 0) == 0
        || k == "recent_imports") {
      moved.emplace_back(std::string(k), std::string(v));
    }
    return true;
  });
  for (auto& [k, v] : moved) {
    txn.del(db::meta, k);
    if (k == "recent_imports") {
      tables::dashboard.put(txn, "latest", v);
    } else if (k.rfind("deletion:", 0) == 0) {
      auto j = json::parse(v, nullptr, false);
      if (!j.is_object()) {
        continue;
      }
      deletion_record d;
      d.status = j.value("status", std::string("completed"));
      d.instagram_user_id = j.value("instagram_user_id", std::string{});
      d.users = j.value("users", uint64_t{0});
      tables::deletions.put(txn, k.substr(9), d);
    } else {
      auto nul = k.find('\0');
      if (nul != std::string::npos) {
        tables::resume.put(txn, k.substr(nul + 1), v);
      }
    }
  }
  // Half-finished OAuth flows of the old version live ten minutes; v2 keeps
  // indexes beside them, so they are simply dropped.
  std::vector<std::string> states;
  txn.scan(db::oauth_state, {}, [&](std::string_view k, std::string_view) {
    states.emplace_back(k);
    return true;
  });
  for (auto& k : states) {
    txn.del(db::oauth_state, k);
  }
}

} // namespace

void migrate_store(write_txn& txn, int from) {
  if (from < 1 || from >= schema_version) {
    throw store_error("database schema version " + std::to_string(from) + " cannot be upgraded");
  }
  if (from == 1) {
    auto counts = seen_v1(txn);
    users_v1(txn, counts);
    hints_v1(txn);
    outbox_v1(txn);
    meta_v1(txn);
  }
  // 2 → 3: nothing to rewrite. Hints and outbox entries are written in
  // binary form from now on and the JSON ones are still read; they change
  // form as they are next written.
}

} // namespace igbridge
