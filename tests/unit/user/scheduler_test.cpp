// The scheduler on the test coordinator, against a registry stand-in that
// records wakes: it reads the heads of the schedule and the inbox queue,
// wakes who is due in time order, no more than max_concurrent_fetches at a
// time, frees a slot when the user's write says it is done, and sleeps until
// the next entry is due.

#include <catch2/catch.hpp>

#include "../support/actor_fixture.hpp"
#include "igbridge/store/inbox.hpp"
#include "igbridge/store/schedule.hpp"
#include "igbridge/store/users.hpp"

using namespace igbridge;
using namespace igbridge::test;

namespace {

using wake_log = std::shared_ptr<std::vector<std::string>>;

/// Answers like a registry, records every wake.
registry_actor::behavior_type recording_registry(registry_actor::pointer, wake_log woken) {
  return {
    [=](wake_atom, const std::string& user) { woken->push_back(user); },
    [](fetch_now_atom, const std::string&) -> int64_t { return fetch_now_started; },
    [](link_atom, const std::string&, const link_grant&) { return true; },
    [](unlink_atom, const std::string&, bool, const std::string&) { return true; },
    [](erase_atom, const std::string&, const std::string&) { return true; },
    [](rules_atom, const std::string&, const user_rules&) { return true; },
    [](backfill_atom, const std::string&, int64_t) { return true; },
    [](idle_atom, const std::string&, uint64_t) { return true; },
    [](reread_atom, const std::string&, const std::string&) { return media_reread{}; },
    [](ping_atom) { return ok_atom::value; },
    [](shard_atom, uint32_t) { return uint64_t{0}; },
    [](drain_atom) {},
  };
}

struct scheduler_fixture : actor_fixture {
  wake_log woken = std::make_shared<std::vector<std::string>>();
  scheduler_actor scheduler;

  explicit scheduler_fixture(int bound) {
    ctx->cfg.actors.max_concurrent_fetches = bound;
  }

  /// Schedule entries (a user's own wake-up) written as the users module would.
  void plan(const std::string& user, int64_t at) {
    auto txn = ctx->db->write();
    write_notes none;
    schedule::move(txn, none, user, 0, at);
    txn.commit();
  }

  void start_scheduler() {
    auto registry = sys->spawn(recording_registry, woken);
    scheduler = spawn_scheduler(*sys, ctx, registry);
    run();
  }

  /// What a user's committed write tells the scheduler.
  void done(const std::string& user, int64_t next) {
    caf::anon_send(scheduler, notes_atom::value,
                   wake_notes{{std::make_pair(user, next)}});
    run();
  }

  ~scheduler_fixture() { caf::anon_send_exit(scheduler, caf::exit_reason::user_shutdown); }
};

} // namespace

TEST_CASE("the due are woken in time order, the others when their time comes", "[scheduler]") {
  scheduler_fixture f{10};
  f.plan("late", f.now + 60);
  f.plan("second", f.now - 5);
  f.plan("first", f.now - 10);
  f.start_scheduler();
  CHECK(*f.woken == std::vector<std::string>{"first", "second"});
  f.advance(59);
  CHECK(f.woken->size() == 2);
  f.advance(1);
  CHECK(*f.woken == std::vector<std::string>{"first", "second", "late"});
}

TEST_CASE("at most max_concurrent_fetches are woken; a done user frees its slot",
          "[scheduler]") {
  scheduler_fixture f{2};
  for (auto u : {"a", "b", "c", "d"}) {
    f.plan(u, f.now - 1);
  }
  f.start_scheduler();
  CHECK(*f.woken == std::vector<std::string>{"a", "b"});
  // a's write moved its entry an hour on: one slot is free for c.
  {
    auto txn = f.ctx->db->write();
    write_notes none;
    schedule::move(txn, none, "a", f.now - 1, f.now + 3600);
    txn.commit();
  }
  f.done("a", f.now + 3600);
  CHECK(*f.woken == std::vector<std::string>{"a", "b", "c"});
  // A user that never says it is done is woken again after the wake timeout.
  f.advance(301);
  CHECK(f.woken->size() >= 4);
}

TEST_CASE("inbox queue entries wake their users too; an app-wide hold wakes nobody",
          "[scheduler]") {
  scheduler_fixture f{10};
  {
    // A linked user with nothing planned, and a webhook for its account.
    auto txn = f.ctx->db->write();
    write_notes notes;
    user_record r;
    r.user = "hinted";
    r.state = user_state::active;
    r.instagram_user_id = "1784";
    users::store(txn, notes, std::nullopt, &r);
    inbox::fanout fan;
    CHECK(fan.add(txn, notes, {"1784", "9999"}, f.now, 20).hinted == 1);
    txn.commit();
  }
  f.plan("polled", f.now + 30);
  f.ctx->throttle(f.now + 100);
  f.start_scheduler();
  CHECK(f.woken->empty());
  f.advance(99);
  CHECK(f.woken->empty()); // the app is held: not even the due ones
  f.advance(1);
  CHECK(*f.woken == std::vector<std::string>{"polled", "hinted"});
}
