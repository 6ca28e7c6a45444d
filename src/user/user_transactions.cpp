// A user actor's transactions. They run one at a time, each on the record
// the previous one committed; the users module keeps what is derived from
// the record (schedule entry, counters, attention list, Instagram-id index)
// in step with it in the same transaction. The writer runs them; a failed
// one leaves the committed record as it was.

#include <nlohmann/json.hpp>

#include <caf/all.hpp>

#include "igbridge/log.hpp"
#include "igbridge/schedule.hpp"
#include "igbridge/store/users.hpp"
#include "user/user.hpp"

namespace igbridge {

namespace {

/// A write that takes longer has met a wedged disk; the record stays as it
/// was and the actor retries later.
constexpr auto write_timeout = std::chrono::seconds{60};

void dispatch(user_self self);

/// Queued writes that go to the writer as one transaction: a fetch's pages
/// that pile up while a commit runs share the next one.
constexpr std::size_t max_writes_per_job = 16;

void finish_write(user_self self, bool ok, const std::string& error,
                  const std::shared_ptr<std::optional<user_record>>& out) {
  auto& st = self->state;
  auto n = std::min(st.writes_in_flight, st.writes.size());
  st.writes_in_flight = 0;
  std::vector<user_write> done;
  done.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    done.push_back(std::move(st.writes.front()));
    st.writes.pop_front();
  }
  if (ok) {
    st.storage_failures = 0;
    if (*out) {
      st.rec = **out;
      st.stored = true;
    } else {
      auto user = st.rec.user;
      st.rec = user_record{};
      st.rec.user = user;
      st.stored = false;
    }
  } else {
    ++st.storage_failures;
    log(log_level::error, "user.write_failed",
        {{"user", st.rec.user}, {"what", done.empty() ? "user" : done.front().what},
         {"error", error}});
  }
  for (auto& w : done) {
    if (w.done) {
      w.done(ok, error);
    }
  }
  dispatch(self);
  maybe_idle(self);
}

void dispatch(user_self self) {
  auto& st = self->state;
  if (st.writes_in_flight != 0 || st.writes.empty()) {
    return;
  }
  st.writes_in_flight = std::min(st.writes.size(), max_writes_per_job);
  std::vector<std::function<bool(user_record&, write_txn&, write_notes&)>> applies;
  applies.reserve(st.writes_in_flight);
  for (std::size_t i = 0; i < st.writes_in_flight; ++i) {
    applies.push_back(st.writes[i].apply);
  }
  auto out = std::make_shared<std::optional<user_record>>();
  auto run = [rec0 = st.rec, applies = std::move(applies), out](write_txn& txn,
                                                               write_notes& notes) {
    // Runs on the writer's thread, maybe twice (map growth): always from
    // the captured record.
    // Each write applies to what the one before it left; the record and
    // what is derived from it are stored once, from what the store held to
    // what the last write left.
    auto before = users::get(txn, rec0.user);
    user_record r = rec0;
    bool exists = true;
    for (const auto& apply : applies) {
      if (!exists) { // erased by the write before
        r = user_record{};
        r.user = rec0.user;
      }
      exists = apply(r, txn, notes);
    }
    if (exists || before) {
      users::store(txn, notes, before, exists ? &r : nullptr);
    }
    if (exists) {
      *out = std::move(r);
    } else {
      out->reset();
    }
  };
  write_job job{std::move(run),
                st.writes.front().what};
  self->request(st.writer, write_timeout, write_atom::value, std::move(job))
    .then([=](write_result& res) { finish_write(self, res.ok, res.error, out); },
          [=](caf::error& e) { finish_write(self, false, caf::to_string(e), out); });
}

} // namespace

void submit(user_self self, user_write w) {
  self->state.writes.push_back(std::move(w));
  dispatch(self);
}

void retry_later(user_self self) {
  auto& st = self->state;
  auto delay = storage_backoff_s(std::max(1, st.storage_failures));
  st.retry_armed = true;
  ++st.retry_gen;
  self->delayed_send(self, std::chrono::seconds(delay), tick_atom::value, st.retry_gen);
  log(log_level::warning, "user.retry_later",
      {{"user", st.rec.user}, {"in_s", std::to_string(delay)}});
}

} // namespace igbridge
