// The scheduler: the schedule is data. Each user actor keeps its own next
// wake-up in the `schedule` index and webhook hints wait in `hint_due`,
// both ordered by time; this actor reads only the heads of the two and
// wakes the users that are due (the registry activates them), at most
// actors.max_concurrent_fetches at a time, so after a restart or an outage
// the overdue ones ramp up instead of arriving all at once. A start-up
// reads nothing per user.

#include <unordered_map>

#include <caf/all.hpp>

#include "core/keep_running.hpp"

#include "igbridge/actors.hpp"
#include "igbridge/log.hpp"
#include "igbridge/store/inbox.hpp"
#include "igbridge/store/schedule.hpp"

namespace igbridge {

namespace {

/// A woken user that has written nothing for this long is woken again.
constexpr int64_t wake_timeout_s = 300;

struct scheduler_state {
  context_ptr ctx;
  registry_actor registry;
  std::unordered_map<std::string, int64_t> in_flight; // user → when woken
  uint64_t tick_gen = 0;
  int64_t armed_at = 0; // unix time the armed tick fires; 0: none
  static inline const char* name = "igbridge.scheduler";
};

using scheduler_self = scheduler_actor::stateful_pointer<scheduler_state>;

void arm(scheduler_self self, int64_t at) {
  auto& st = self->state;
  if (st.armed_at != 0 && st.armed_at <= at) {
    return;
  }
  ++st.tick_gen;
  st.armed_at = at;
  auto delay = std::max<int64_t>(0, at - st.ctx->now());
  self->delayed_send(self, std::chrono::seconds(delay), tick_atom::value, st.tick_gen);
}

using index_scan = void (*)(const read_txn&, const std::function<bool(int64_t, std::string)>&);

/// Wakes due users of one time-ordered index (the schedule, the inbox
/// queue); returns the time of its first entry not yet due (0: none), or
/// -1 when it stopped because the bound was reached.
int64_t wake_due(scheduler_self self, const read_txn& txn, index_scan scan, int64_t now) {
  auto& st = self->state;
  auto bound = static_cast<std::size_t>(st.ctx->cfg.actors.max_concurrent_fetches);
  int64_t next = 0;
  scan(txn, [&](int64_t at, std::string user) {
    if (at > now) {
      next = at;
      return false;
    }
    if (st.in_flight.count(user) != 0) {
      return true;
    }
    if (st.in_flight.size() >= bound) {
      next = -1;
      return false;
    }
    st.in_flight.emplace(user, now);
    self->send(st.registry, wake_atom::value, std::move(user));
    st.ctx->stats.inc("igbridge_wakes_total");
    return true;
  });
  return next;
}

void dispatch(scheduler_self self) {
  auto& st = self->state;
  auto now = st.ctx->now();
  auto throttle = st.ctx->throttle_until.load();
  if (throttle > now) {
    arm(self, throttle); // the app is rate limited: nobody fetches
    return;
  }
  for (auto i = st.in_flight.begin(); i != st.in_flight.end();) {
    i = now - i->second > wake_timeout_s ? st.in_flight.erase(i) : std::next(i);
  }
  int64_t a = 0;
  int64_t b = 0;
  try {
    auto txn = st.ctx->db->read();
    a = wake_due(self, txn, &schedule::each, now);
    b = wake_due(self, txn, &inbox::each_queued, now);
  } catch (const std::exception& e) {
    log(log_level::error, "scheduler.read_failed", {{"error", e.what()}});
    arm(self, now + 1);
    return;
  }
  if (a < 0 || b < 0) {
    arm(self, now + 1); // full: notes free slots, this is the safety net
    return;
  }
  int64_t next = a == 0 ? b : (b == 0 ? a : std::min(a, b));
  if (!st.in_flight.empty()) {
    auto oldest = now;
    for (auto& [user, at] : st.in_flight) {
      oldest = std::min(oldest, at);
    }
    auto retry = oldest + wake_timeout_s + 1;
    next = next == 0 ? retry : std::min(next, retry);
  }
  if (next != 0) {
    arm(self, next);
  }
}

scheduler_actor::behavior_type scheduler_fn(scheduler_self self, context_ptr ctx,
                                            registry_actor registry) {
  self->state.ctx = std::move(ctx);
  self->state.registry = std::move(registry);
  keep_running(self, "scheduler");
  self->send(self, tick_atom::value, uint64_t{0});
  return {
    [=](tick_atom, uint64_t gen) {
      auto& st = self->state;
      if (gen != st.tick_gen) {
        return; // superseded
      }
      st.armed_at = 0;
      dispatch(self);
    },
    [=](notes_atom, wake_notes& notes) {
      auto& st = self->state;
      for (auto& [user, due] : notes.wakes) {
        st.in_flight.erase(user);
      }
      // Freed slots or entries already due: look at the heads again (once
      // per writer batch, not per user).
      dispatch(self);
    },
    [=](ping_atom) -> ok_atom { return ok_atom::value; },
  };
}

} // namespace

scheduler_actor spawn_scheduler(caf::actor_system& sys, context_ptr ctx,
                                registry_actor registry) {
  return sys.spawn(scheduler_fn, std::move(ctx), std::move(registry));
}

} // namespace igbridge
