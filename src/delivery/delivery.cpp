// The delivery actor drains the outbox to the configured sink. It reads
// only the head of `outbox_due` (records by next attempt), so a backlog of
// any size costs the same per pass. A record leaves the outbox only after
// the sink confirmed it; failures are retried on the configured schedule
// and end as dead letters (delivery_outcomes.cpp). Records wait for their
// media first (delivery_media.cpp). How a record leaves is the sink
// strategy's, chosen once at start (sink.hpp). Its changes go through the
// writer.

#include <caf/all.hpp>

#include "core/keep_running.hpp"
#include "delivery/delivery.hpp"
#include "delivery/sink.hpp"
#include "igbridge/actors.hpp"
#include "igbridge/log.hpp"
#include "igbridge/store/meta.hpp"
#include "igbridge/store/outbox.hpp"

namespace igbridge {

void observe_since(delivery_state& st, std::chrono::steady_clock::time_point start) {
  st.ctx->stats.observe(
    "igbridge_delivery_duration_seconds", {{"sink", st.out->label()}},
    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void count(delivery_state& st, const char* outcome, double n) {
  st.ctx->stats.inc("igbridge_deliveries_total", {{"outcome", outcome}}, n);
}

void arm_tick(delivery_self self, int64_t due) {
  auto& st = self->state;
  if (st.armed_tick != 0 && st.armed_tick <= due) {
    return;
  }
  ++st.tick_gen;
  st.armed_tick = due;
  auto delay = std::max<int64_t>(0, due - st.ctx->now());
  self->delayed_send(self, std::chrono::seconds(delay), tick_atom::value, st.tick_gen);
}

void mark_sent(delivery_state& st, const outbox_entry& e) {
  st.in_flight.insert(e.seq);
  st.at_sink.emplace(e.seq, e.user);
  ++st.users_at_sink[e.user];
}

void settle_flight(delivery_state& st, uint64_t seq) {
  st.in_flight.erase(seq);
  st.media_ready.erase(seq);
  auto i = st.at_sink.find(seq);
  if (i == st.at_sink.end()) {
    return;
  }
  auto u = st.users_at_sink.find(i->second);
  if (u != st.users_at_sink.end() && --u->second == 0) {
    st.users_at_sink.erase(u);
  }
  st.at_sink.erase(i);
}

void answer_drain_waiters(delivery_state& st) {
  if (st.draining && st.in_flight.empty()) {
    for (auto& rp : st.drain_waiters) {
      rp.deliver(true);
    }
    st.drain_waiters.clear();
  }
}

void write(delivery_self self, const char* what, std::function<void(write_txn&, write_notes&)> apply,
           std::function<void(bool)> done) {
  self->request(self->state.writer, delivery_write_timeout, write_atom::value,
                write_job{std::move(apply), what})
    .then([done](write_result& r) { done(r.ok); }, [done](caf::error&) { done(false); });
}

namespace {

/// What one pass takes from the outbox.
struct due_work {
  std::vector<outbox_entry> ready; // for the sink
  std::vector<outbox_entry> media; // waiting for their media, for the fetcher
};

/// The due records not already in flight, oldest due first: up to `room`
/// for the sink and up to `media_room` that wait for their media. A record
/// waiting for media that finds the fetcher full ends the scan (it goes
/// first once there is room), and so do a few records the sink has no room
/// for: a pass decodes little it cannot take, however large the backlog
/// (which would otherwise be read again on every pass).
due_work due_records(delivery_self self, std::size_t room, std::size_t media_room, int64_t now) {
  constexpr std::size_t max_passed = 64;
  auto& st = self->state;
  due_work due;
  std::size_t passed = 0; // read, but the sink has no room for them
  int64_t next_due = 0;
  std::unordered_map<std::string, uint64_t> taken; // user -> its entry taken last in this pass
  const bool chains = st.out->keeps_batch_order();
  auto txn = st.ctx->db->read();
  // To the sink goes only the first of a user's queued entries, and only
  // while no dead letter holds the user and none of its entries is out:
  // the host hears a user's events in commit order. A sink that keeps a
  // batch's order also takes the entries right behind it, in the same
  // batch. Media are fetched ahead, in any order.
  auto waits = [&](const std::string& user, uint64_t seq) {
    if (st.users_at_sink.count(user) != 0 || outbox::held(txn, user)) {
      return true;
    }
    auto t = taken.find(user);
    if (t != taken.end()) {
      return !chains || !outbox::follows(txn, user, t->second, seq);
    }
    return !outbox::is_head(txn, user, seq);
  };
  outbox::scan_due(
    txn, now,
    [&](std::string_view user, uint64_t seq) {
      // Cluster mode: a shard leaving this node delivers nothing more
      // here; its new owner delivers what is left.
      if (st.in_flight.count(seq) != 0 || !st.ctx->sends_for_user(user)) {
        return outbox::scan_step::skip;
      }
      if (due.ready.size() >= room && due.media.size() >= media_room) {
        return outbox::scan_step::stop;
      }
      // An entry that must wait is read only to learn whether it needs
      // its media, and only once.
      if ((!st.media || st.media_ready.count(seq) != 0) && waits(std::string(user), seq)) {
        return outbox::scan_step::skip;
      }
      return outbox::scan_step::read;
    },
    [&](outbox_entry&& e) {
      if (st.media && needs_media(e)) {
        if (due.media.size() >= media_room) {
          return false;
        }
        due.media.push_back(std::move(e));
        return true;
      }
      st.media_ready.insert(e.seq);
      if (waits(e.user, e.seq)) {
        return true;
      }
      if (due.ready.size() < room) {
        taken[e.user] = e.seq;
        due.ready.push_back(std::move(e));
      } else if (++passed > max_passed) {
        return false;
      }
      return true;
    },
    next_due);
  if (next_due != 0) {
    arm_tick(self, next_due);
  }
  return due;
}

} // namespace

void pump(delivery_self self) {
  auto& st = self->state;
  if (st.gone || st.draining) {
    return;
  }
  auto at_sink = st.in_flight.size() - std::min(st.in_flight.size(), st.media_busy);
  auto room = st.out->room(at_sink);
  // The fetcher gets a few times media.concurrency records, so that its
  // window never runs dry while records wait here.
  auto media_bound =
    st.media ? std::max<std::size_t>(64, 4 * static_cast<std::size_t>(st.ctx->cfg.media.concurrency))
             : 0;
  auto media_room = media_bound - std::min(st.media_in_flight, media_bound);
  if (room == 0 && media_room == 0) {
    return;
  }
  auto work = due_records(self, room, media_room, st.ctx->now());
  for (auto& e : work.media) {
    start_media(self, e);
  }
  if (work.ready.empty()) {
    return;
  }
  for (const auto& e : work.ready) {
    mark_sent(st, e);
  }
  st.out->send(self, std::move(work.ready));
}

namespace {

template <class F>
void guarded(const char* what, F f) {
  try {
    f();
  } catch (const std::exception& e) {
    log(log_level::error, what, {{"error", e.what()}});
  }
}

delivery_actor::behavior_type delivery_fn(delivery_self self, context_ptr ctx,
                                          writer_actor writer, file_sink_actor file_sink,
                                          media_store_actor media, registry_actor registry) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.writer = std::move(writer);
  st.out = make_sink(*st.ctx, st.ctx->cfg.sink.kind, std::move(file_sink));
  st.media = std::move(media);
  if (st.media) {
    st.fetcher = spawn_media_fetcher(self, st.ctx, st.media, std::move(registry),
                                     caf::actor_cast<delivery_actor>(self));
  }
  keep_running(self, "delivery");
  guarded("delivery.init_failed", [&] {
    // A 410 is held for as long as the sink is the URL that gave it.
    auto gone = meta::sink_gone(st.ctx->db->read());
    st.gone = !gone.empty() && gone == st.ctx->cfg.sink.url;
  });
  self->send(self, kick_atom::value);
  return {
    [=](kick_atom) { guarded("delivery.pump_failed", [&] { pump(self); }); },
    [=](tick_atom, uint64_t gen) {
      if (gen != self->state.tick_gen) {
        return;
      }
      self->state.armed_tick = 0;
      guarded("delivery.pump_failed", [&] { pump(self); });
    },
    [=](replay_atom, uint64_t seq) -> caf::typed_response_promise<bool> {
      auto rp = self->make_response_promise<bool>();
      auto now = self->state.ctx->now();
      auto found = std::make_shared<bool>(false);
      write(self, "replay",
            [seq, now, found](write_txn& txn, write_notes& notes) {
              *found = outbox::replay(txn, notes, seq, now);
            },
            [self, rp, seq, found](bool ok) mutable {
              rp.deliver(ok && *found);
              if (ok && *found) {
                log(log_level::notice, "delivery.replay", {{"seq", std::to_string(seq)}});
                pump(self);
              }
            });
      return rp;
    },
    [=](drop_atom, uint64_t seq) -> caf::typed_response_promise<bool> {
      auto rp = self->make_response_promise<bool>();
      auto found = std::make_shared<bool>(false);
      write(self, "drop",
            [seq, found](write_txn& txn, write_notes& notes) {
              *found = outbox::drop(txn, notes, seq);
            },
            [self, rp, seq, found](bool ok) mutable {
              rp.deliver(ok && *found);
              if (ok && *found) {
                log(log_level::notice, "delivery.dropped", {{"seq", std::to_string(seq)}});
                pump(self); // the user's later events may go now
              }
            });
      return rp;
    },
    [=](drain_atom) -> caf::typed_response_promise<bool> {
      auto& st = self->state;
      st.draining = true;
      auto rp = self->make_response_promise<bool>();
      if (st.in_flight.empty()) {
        rp.deliver(true);
      } else {
        st.drain_waiters.push_back(rp);
      }
      return rp;
    },
    [=](shard_atom, uint32_t shard) -> uint64_t {
      auto shards = static_cast<uint64_t>(self->state.ctx->cfg.cluster.shards);
      uint64_t n = 0;
      for (auto seq : self->state.in_flight) {
        n += shards != 0 && seq % shards == shard ? 1 : 0;
      }
      return n;
    },
    [=](media_atom, uint64_t seq, media_result& r) {
      guarded("delivery.media_failed", [&] { media_fetched(self, seq, r); });
    },
    [=](micropub_atom, uint64_t seq, micropub_outcome& o) {
      guarded("delivery.result_failed", [&] { self->state.out->on_helper_report(self, seq, o); });
    },
    [=](http_done_atom, http_reply& reply) {
      guarded("delivery.result_failed", [&] { self->state.http.complete(reply); });
    },
  };
}

} // namespace

delivery_actor spawn_delivery(caf::actor_system& sys, context_ptr ctx, writer_actor writer,
                              file_sink_actor file_sink, media_store_actor media,
                              registry_actor registry) {
  return sys.spawn(delivery_fn, std::move(ctx), std::move(writer), std::move(file_sink),
                   std::move(media), std::move(registry));
}

} // namespace igbridge
