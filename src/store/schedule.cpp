// The schedule family: one entry per active user with a plan, keyed by
// when, so the scheduler reads only the head.

#include "igbridge/store/schedule.hpp"

#include "igbridge/tables.hpp"

namespace igbridge::schedule {

void move(write_txn& txn, write_notes& notes, const std::string& user, int64_t from, int64_t to) {
  if (from != 0 && from != to) {
    tables::schedule.del(txn, {from, user});
  }
  if (to != 0) {
    tables::schedule.put(txn, {to, user}, {}); // rewritten even when unmoved: self-healing
  }
  if (from != to) {
    notes.wake(user, to); // the scheduler learns the new plan after the commit
  }
}

void each(const read_txn& txn, const std::function<bool(int64_t, std::string)>& f) {
  tables::schedule.each(txn, [&](const when& w, const unit_codec::type&) {
    return f(w.at, w.user);
  });
}

std::size_t count(const read_txn& txn) {
  return tables::schedule.count(txn);
}

std::vector<owners::placement> user_placements() {
  using owners::user_at;
  return {{db::schedule, user_at::key_after_time}};
}

} // namespace igbridge::schedule
