// The users family: the record and what is derived from it, kept in step
// in one function so that no caller can change one without the others.

#include "igbridge/store/users.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "igbridge/clock.hpp"
#include "igbridge/store/schedule.hpp"
#include "igbridge/tables.hpp"

namespace igbridge::users {

namespace {

/// A walk still under way, or one that failed, is worth an operator's look.
bool backfill_unsettled(const backfill_progress& b) {
  return b.state == backfill_state::running || b.state == backfill_state::failed;
}

/// On the dashboard's attention list: a user who must link again, one whose
/// fetches fail, whose token expires while refreshes fail (DESIGN §9's
/// `expiring`), or whose backfill runs or failed (its progress).
bool needs_attention(const user_record& r) {
  if (r.state == user_state::reauth_required) {
    return true;
  }
  return r.state == user_state::active
         && (!r.last_error.empty() || r.expiring_sent_at != 0 || backfill_unsettled(r.backfill));
}

/// The attention list's reason, in words for the dashboard.
std::string attention_why(const user_record& r) {
  std::vector<std::string> why;
  if (!r.last_error.empty()) {
    why.push_back(r.last_error);
  }
  if (r.state == user_state::active && r.expiring_sent_at != 0) {
    why.push_back("token expires " + rfc3339(r.token_expires_at) + " and refreshes fail");
  }
  if (backfill_unsettled(r.backfill)) {
    why.push_back(std::string("backfill ") + to_string(r.backfill.state) + ": "
                  + std::to_string(r.backfill.scanned) + " scanned, "
                  + std::to_string(r.backfill.imported) + " imported");
  }
  std::string text;
  for (const auto& w : why) {
    text += (text.empty() ? "" : "; ") + w;
  }
  return text;
}

void add_counter(write_txn& txn, const std::string& name, int64_t by) {
  auto v = tables::counters.get(txn, name).value_or(0) + by;
  tables::counters.put(txn, name, v);
}

std::string counter_of(user_state s) {
  return std::string("users.") + to_string(s);
}

} // namespace

std::vector<std::string> instagram_ids(const user_record& r) {
  std::vector<std::string> ids;
  if (!r.instagram_user_id.empty()) {
    ids.push_back(r.instagram_user_id);
  }
  if (!r.app_scoped_id.empty() && r.app_scoped_id != r.instagram_user_id) {
    ids.push_back(r.app_scoped_id);
  }
  return ids;
}

namespace {

void settle_index(write_txn& txn, const std::optional<user_record>& before,
                  const user_record* after, const std::string& user) {
  auto old_ids = before ? instagram_ids(*before) : std::vector<std::string>{};
  auto new_ids = after ? instagram_ids(*after) : std::vector<std::string>{};
  for (const auto& id : old_ids) {
    if (std::find(new_ids.begin(), new_ids.end(), id) == new_ids.end()) {
      txn.del(db::ig_index, id, user);
    }
  }
  for (const auto& id : new_ids) {
    if (std::find(old_ids.begin(), old_ids.end(), id) == old_ids.end()) {
      txn.put(db::ig_index, id, user);
    }
  }
}

} // namespace

std::optional<user_record> get(const read_txn& txn, const std::string& user) {
  return tables::users.get(txn, user);
}

bool exists(const read_txn& txn, const std::string& user) {
  return tables::users.contains(txn, user);
}

void store(write_txn& txn, write_notes& notes, const std::optional<user_record>& before,
           user_record* after) {
  const auto& user = after ? after->user : before->user;
  auto old_state = before ? std::optional<user_state>(before->state) : std::nullopt;
  auto new_state = after ? std::optional<user_state>(after->state) : std::nullopt;
  if (old_state != new_state) {
    if (old_state) {
      add_counter(txn, counter_of(*old_state), -1);
    }
    if (new_state) {
      add_counter(txn, counter_of(*new_state), 1);
    }
  }
  int64_t old_due = before ? before->scheduled_at : 0;
  int64_t new_due = after && after->state == user_state::active ? own_due(*after) : 0;
  schedule::move(txn, notes, user, old_due, new_due);
  if (after) {
    after->scheduled_at = new_due;
  }
  if (after && needs_attention(*after)) {
    auto view = public_view(*after);
    view["why"] = attention_why(*after);
    tables::attention.put(txn, user, view.dump());
  } else {
    tables::attention.del(txn, user);
  }
  settle_index(txn, before, after, user);
  if (after) {
    tables::users.put(txn, user, *after);
  } else {
    tables::users.del(txn, user);
  }
}

void each(const read_txn& txn, const std::string& from,
          const std::function<bool(const user_record&)>& f) {
  tables::users.each(txn, from, [&](const std::string&, const user_record& r) { return f(r); });
}

std::vector<std::string> of_instagram_id(const read_txn& txn, const std::string& ig_id) {
  return txn.get_all(db::ig_index, ig_id);
}

int64_t count(const read_txn& txn, user_state s) {
  return tables::counters.get(txn, counter_of(s)).value_or(0);
}

std::vector<nlohmann::json> attention(const read_txn& txn, std::size_t limit) {
  std::vector<nlohmann::json> out;
  tables::attention.each(txn, [&](const std::string&, const std::string& v) {
    auto j = nlohmann::json::parse(v, nullptr, false);
    if (j.is_object()) {
      out.push_back(std::move(j));
    }
    return out.size() < limit;
  });
  return out;
}

void upgrade_from_v1(write_txn& txn, const std::function<uint64_t(const std::string&)>& seen_count) {
  // v1 users carried the state as a string, as v2 does; what is new are the
  // schedule entry, the seen count and the per-state counters.
  std::vector<user_record> all;
  tables::users.each(txn, [&](const std::string&, const user_record& r) {
    all.push_back(r);
    return true;
  });
  for (auto& r : all) {
    r.seen_count = seen_count(r.user);
    r.scheduled_at = r.state == user_state::active ? own_due(r) : 0;
    if (r.state == user_state::active && r.scheduled_at == 0) {
      r.scheduled_at = 1; // due at once: the scheduler spreads overdue users
    }
    write_notes none; // no scheduler runs during an upgrade
    schedule::move(txn, none, r.user, 0, r.scheduled_at);
    add_counter(txn, counter_of(r.state), 1);
    if (!r.app_scoped_id.empty()) {
      txn.put(db::ig_index, r.app_scoped_id, r.user);
    }
    tables::users.put(txn, r.user, r);
  }
}

std::optional<index_change> index_change_of(db d, mutation::kind op, std::string_view key,
                                           std::string_view value) {
  if (d != db::ig_index || op == mutation::kind::del_key) {
    return std::nullopt;
  }
  return index_change{key, value, op == mutation::kind::put};
}

std::vector<owners::placement> user_placements() {
  using owners::user_at;
  return {{db::users, user_at::key}, {db::attention, user_at::key}, {db::ig_index, user_at::value_dup}};
}

} // namespace igbridge::users
