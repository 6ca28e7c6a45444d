// The inbox family: a hint and its queue entry change together, here only.

#include "igbridge/store/inbox.hpp"

#include <map>

#include <nlohmann/json.hpp>

#include "igbridge/store/users.hpp"
#include "igbridge/tables.hpp"

namespace igbridge::inbox {

namespace {

/// Instagram ids whose active users are remembered at most.
constexpr std::size_t max_remembered = 100000;

/// Stores `h` and queues it at `at`, moving the old entry.
void queue(write_txn& txn, write_notes& notes, const std::string& user, hint h, int64_t at) {
  if (h.queued_at != at) {
    if (h.queued_at != 0) {
      tables::hint_due.del(txn, {h.queued_at, user});
    }
    tables::hint_due.put(txn, {at, user}, {});
    h.queued_at = at;
  }
  tables::hints.put(txn, user, h);
  notes.wake(user, at);
}

} // namespace

std::optional<hint> get(const read_txn& txn, const std::string& user) {
  return tables::hints.get(txn, user);
}

const std::vector<std::string>& fanout::active_users_of(write_txn& txn, const std::string& ig) {
  auto i = known_.find(ig);
  if (i != known_.end()) {
    return i->second;
  }
  if (known_.size() >= max_remembered) {
    known_.clear();
  }
  std::vector<std::string> active;
  for (auto& u : users::of_instagram_id(txn, ig)) {
    auto rec = users::get(txn, u);
    if (rec && rec->state == user_state::active) {
      active.push_back(std::move(u));
    }
  }
  return known_.emplace(ig, std::move(active)).first->second;
}

fanout_count fanout::add(write_txn& txn, write_notes& notes, const std::vector<std::string>& ig_ids,
                         int64_t now, int64_t delay) {
  fanout_count n;
  for (const auto& ig : ig_ids) {
    std::size_t before = n.hinted;
    for (const auto& u : active_users_of(txn, ig)) {
      auto old = tables::hints.get(txn, u);
      auto h = add_hint(old, now, delay);
      // The queue entry moves only when the fetch time does: the hints of a
      // burst rewrite the user's hint record, not its place in the queue.
      queue(txn, notes, u, h, hint_fetch_at(h, delay));
      ++n.hinted;
    }
    n.unknown += n.hinted == before ? 1 : 0;
  }
  return n;
}

void defer(write_txn& txn, write_notes& notes, const std::string& user, int64_t until,
           int64_t delay) {
  auto h = tables::hints.get(txn, user);
  if (!h || h->queued_at >= until) {
    return;
  }
  h->first_due = std::max(h->first_due, until);
  h->last_due = std::max(h->last_due, until);
  queue(txn, notes, user, *h, hint_fetch_at(*h, delay));
}

void discharge(write_txn& txn, write_notes& notes, const std::string& user, int64_t started,
               int64_t delay, int64_t not_before) {
  auto h = tables::hints.get(txn, user);
  if (!h) {
    return;
  }
  if (auto left = after_fetch(*h, started)) {
    left->queued_at = h->queued_at;
    queue(txn, notes, user, *left, std::max(hint_fetch_at(*left, delay), not_before));
  } else {
    drop(txn, user);
  }
}

void drop(write_txn& txn, const std::string& user) {
  auto h = tables::hints.get(txn, user);
  if (!h) {
    return;
  }
  tables::hint_due.del(txn, {h->queued_at, user});
  tables::hints.del(txn, user);
}

void each_queued(const read_txn& txn, const std::function<bool(int64_t, std::string)>& f) {
  tables::hint_due.each(txn, [&](const when& w, const unit_codec::type&) {
    return f(w.at, w.user);
  });
}

void upgrade_from_v1(write_txn& txn) {
  std::vector<std::pair<std::string, nlohmann::json>> old;
  txn.scan(db::hints, {}, [&](std::string_view k, std::string_view v) {
    auto j = nlohmann::json::parse(v, nullptr, false);
    if (j.is_object() && j.contains("due_at")) {
      old.emplace_back(std::string(k), std::move(j));
    }
    return true;
  });
  for (auto& [user, j] : old) {
    auto int_of = [&](const char* key) {
      auto it = j.find(key);
      return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t{0};
    };
    hint h;
    h.first_due = h.last_due = int_of("due_at");
    h.received_at = int_of("received_at");
    h.queued_at = h.first_due;
    tables::hints.put(txn, user, h);
    tables::hint_due.put(txn, {h.first_due, user}, {});
  }
}

void upgrade_to_v4(write_txn& txn) {
  // Before v4 the entry's time was recomputed from import.webhook_delay_s,
  // and a changed delay or a missed delete could leave entries no hint
  // owned. Each hint adopts its earliest entry; the others go.
  std::map<std::string, int64_t> first;
  std::vector<when> stale;
  tables::hint_due.each(txn, [&](const when& w, const unit_codec::type&) {
    if (!first.emplace(w.user, w.at).second || !tables::hints.contains(txn, w.user)) {
      stale.push_back(w);
    }
    return true;
  });
  for (auto& w : stale) {
    tables::hint_due.del(txn, w);
  }
  std::vector<std::pair<std::string, hint>> all;
  tables::hints.each(txn, [&](const std::string& user, const hint& h) {
    all.emplace_back(user, h);
    return true;
  });
  for (auto& [user, h] : all) {
    auto at = first.find(user);
    if (at == first.end()) {
      h.queued_at = h.first_due; // a hint without an entry is due as it says
      tables::hint_due.put(txn, {h.queued_at, user}, {});
    } else {
      h.queued_at = at->second;
    }
    tables::hints.put(txn, user, h);
  }
}

std::vector<owners::placement> user_placements() {
  using owners::user_at;
  return {{db::hints, user_at::key}, {db::hint_due, user_at::key_after_time}};
}

} // namespace igbridge::inbox
