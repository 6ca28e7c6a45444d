// The delivery actor drains the outbox to the configured sink. It reads
// only the head of `outbox_due` (records by next attempt), so a backlog of
// any size costs the same per pass. A record leaves the outbox only after
// the sink confirmed it; failures are retried on the configured schedule
// and end as dead letters. Its changes go through the writer; the JSONL
// file is written by the file sink on a thread of its own.

#include <set>
#include <unordered_map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "keep_running.hpp"

#include "http_waiter.hpp"
#include "media_fetch.hpp"
#include "micropub_post.hpp"
#include "igbridge/actors.hpp"
#include "igbridge/clock.hpp"
#include "igbridge/log.hpp"
#include "igbridge/schedule.hpp"
#include "igbridge/sink_format.hpp"
#include "igbridge/store/dashboard.hpp"
#include "igbridge/store/media_refs.hpp"
#include "igbridge/store/meta.hpp"
#include "igbridge/store/outbox.hpp"

namespace igbridge {

namespace {

constexpr std::size_t jsonl_batch_size = 512;
constexpr auto write_timeout = std::chrono::seconds{60};

struct delivery_state {
  context_ptr ctx;
  writer_actor writer;
  file_sink_actor file_sink;
  media_store_actor media;     // empty: records go out without their media
  media_fetcher_actor fetcher; // with media: downloads them
  std::size_t media_in_flight = 0; // records handed to the fetcher, not answered yet
  std::size_t media_busy = 0;      // and those whose stored media are being written
  /// Records whose media are stored, waiting to be written into the outbox:
  /// one writer job takes all that came while the previous one ran.
  std::vector<std::pair<uint64_t, std::vector<stored_media>>> media_done;
  bool media_writing = false;
  micropub_known micropub;  // the media endpoint, once asked
  std::unordered_map<uint64_t, std::chrono::steady_clock::time_point> micropub_started;
  http_waiter http;
  std::set<uint64_t> in_flight; // sent, or being removed: not picked again
  bool gone = false;            // the webhook endpoint answered 410
  bool draining = false;        // shutdown: start nothing new
  bool pumping = false;         // a JSONL batch or a bookkeeping write is out
  uint64_t tick_gen = 0;
  int64_t armed_tick = 0;
  std::vector<caf::typed_response_promise<bool>> drain_waiters;
  static inline const char* name = "igbridge.delivery";
};

using delivery_self = delivery_actor::stateful_pointer<delivery_state>;

const char* sink_label(const config& cfg) {
  return cfg.sink.type.c_str();
}

void observe_since(delivery_state& st, std::chrono::steady_clock::time_point start) {
  st.ctx->stats.observe(
    "igbridge_delivery_duration_seconds", {{"sink", sink_label(st.ctx->cfg)}},
    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void count(delivery_state& st, const char* outcome, double n = 1) {
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

void answer_drain_waiters(delivery_state& st) {
  if (st.draining && st.in_flight.empty()) {
    for (auto& rp : st.drain_waiters) {
      rp.deliver(true);
    }
    st.drain_waiters.clear();
  }
}

int64_t retry_after_of(const http_response& r) {
  auto v = header_value(r.headers, "Retry-After");
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) {
    return 0; // absent, an HTTP date or absurd: the schedule decides
  }
  return std::stoll(v);
}

void pump(delivery_self self);

/// Runs `apply` in the writer; `done(ok)` afterwards, inside this actor.
void write(delivery_self self, const char* what, std::function<void(write_txn&, write_notes&)> apply,
           std::function<void(bool)> done) {
  self->request(self->state.writer, write_timeout, write_atom::value,
                write_job{std::move(apply), what})
    .then([done](write_result& r) { done(r.ok); }, [done](caf::error&) { done(false); });
}

/// Removes delivered records from the outbox.
void delivered(delivery_self self, std::vector<uint64_t> seqs, const char* outcome) {
  auto n = static_cast<double>(seqs.size());
  write(self, "delivered",
        [seqs](write_txn& txn, write_notes&) {
          for (auto seq : seqs) {
            outbox::remove(txn, seq);
          }
        },
        [self, seqs, outcome, n](bool ok) {
          auto& st = self->state;
          for (auto seq : seqs) {
            st.in_flight.erase(seq);
          }
          if (ok) {
            count(st, outcome, n);
          }
          // Not removed: they stay due and go again (at least once).
          answer_drain_waiters(st);
          pump(self);
        });
}

/// Records failed attempts: reschedule, or move to dead letters.
void failed(delivery_self self, std::vector<uint64_t> seqs, std::string why, int64_t retry_after) {
  auto& st = self->state;
  auto now = st.ctx->now();
  auto schedule = st.ctx->cfg.sink.retry_schedule_s;
  auto dead = std::make_shared<std::vector<outbox_entry>>();
  auto next = std::make_shared<int64_t>(0);
  write(self, "delivery_failed",
        [seqs, why, retry_after, now, schedule, dead, next](write_txn& txn, write_notes&) {
          dead->clear();
          *next = 0;
          for (auto seq : seqs) {
            auto e = outbox::get(txn, seq);
            if (!e) {
              continue; // erased meanwhile (data deletion)
            }
            ++e->attempts;
            e->last_error = why;
            auto delay = delivery_delay_s(schedule, e->attempts, retry_after);
            if (delay < 0) {
              outbox::bury(txn, *e);
              dead->push_back(*e);
              continue;
            }
            auto was_due = e->next_attempt_at;
            e->next_attempt_at = now + delay;
            outbox::update(txn, *e, was_due);
            *next = *next == 0 ? e->next_attempt_at : std::min(*next, e->next_attempt_at);
          }
        },
        [self, seqs, why, dead, next](bool ok) {
          auto& st = self->state;
          for (auto seq : seqs) {
            st.in_flight.erase(seq);
          }
          if (ok) {
            for (auto& e : *dead) {
              count(st, "dead");
              log(log_level::error, "delivery.dead_letter",
                  {{"seq", std::to_string(e.seq)}, {"id", e.id},
                   {"attempts", std::to_string(e.attempts)}, {"error", why}});
            }
            auto retried = seqs.size() - dead->size();
            if (retried > 0) {
              count(st, "retry", static_cast<double>(retried));
              log(log_level::warning, "delivery.retry",
                  {{"records", std::to_string(retried)}, {"error", why}});
            }
            if (*next != 0) {
              arm_tick(self, *next);
            }
          } else {
            // Not even the failure could be stored: look again shortly.
            arm_tick(self, st.ctx->now() + 5);
          }
          answer_drain_waiters(st);
          pump(self);
        });
}

void on_http_result(delivery_self self, uint64_t seq, http_response r,
                    std::chrono::steady_clock::time_point start) {
  auto& st = self->state;
  observe_since(st, start);
  const auto& sink = st.ctx->cfg.sink;
  if (r.status >= 200 && r.status < 300) {
    delivered(self, {seq}, "delivered");
  } else if (r.status == 410 && sink.type == "webhook") {
    st.in_flight.erase(seq);
    st.gone = true;
    auto url = sink.url;
    write(self, "sink_gone",
          [url](write_txn& txn, write_notes&) { meta::set_sink_gone(txn, url); },
          [](bool) {});
    count(st, "gone");
    log(log_level::error, "sink.gone",
        {{"status", "410"}, {"detail", "the endpoint asked us to stop; deliveries are held"}});
    answer_drain_waiters(st);
  } else {
    auto why = r.status == 0 ? r.error : "HTTP " + std::to_string(r.status);
    failed(self, {seq}, why, retry_after_of(r));
  }
}

/// An import whose media are not stored yet (DESIGN §8): it waits for them.
/// The record is dumped with sorted keys and a string value cannot hold an
/// unescaped quote, so the key's text appears only as the key.
bool needs_media(const outbox_entry& e) {
  return e.type == "media.imported" && e.data.find("\"media\":[") == std::string::npos;
}

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
  outbox::scan_due(
    st.ctx->db->read(), now,
    [&](uint64_t seq) {
      if (st.in_flight.count(seq) != 0) {
        return outbox::scan_step::skip;
      }
      return due.ready.size() >= room && due.media.size() >= media_room ? outbox::scan_step::stop
                                                                          : outbox::scan_step::read;
    },
    [&](outbox_entry&& e) {
      if (st.media && needs_media(e)) {
        if (due.media.size() >= media_room) {
          return false;
        }
        due.media.push_back(std::move(e));
      } else if (due.ready.size() < room) {
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

/// Adds `"media":<media>` to the record's JSON text, as its last member:
/// the record is an object that never has the key yet (needs_media), so
/// this is what parsing, setting and dumping it would give but for the
/// order of its keys, at a fraction of the cost. False when `record` is no
/// JSON object text.
bool with_media(std::string& record, const std::string& media) {
  if (record.size() < 2 || record.front() != '{' || record.back() != '}') {
    return false;
  }
  record.pop_back();
  if (record.find_first_not_of(" \t\r\n", 1) != std::string::npos) {
    record += ',';
  }
  record += "\"media\":";
  record += media;
  record += '}';
  return true;
}

/// Stores the downloaded media in their records and their references,
/// for every record in `media_done`, in one writer job; then the records
/// are due for the sink like any other.
void write_media_done(delivery_self self) {
  auto& st = self->state;
  if (st.media_writing || st.media_done.empty()) {
    return;
  }
  struct done_record {
    uint64_t seq;
    std::string media; // the "media" array, as JSON
    std::vector<std::string> names;
  };
  auto batch = std::make_shared<std::vector<done_record>>();
  for (auto& [seq, media] : st.media_done) {
    auto list = nlohmann::json::array();
    std::vector<std::string> names;
    for (const auto& m : media) {
      list.push_back(to_json(m));
      names.push_back(media_name(m));
    }
    batch->push_back({seq, list.dump(), std::move(names)});
  }
  st.media_done.clear();
  st.media_writing = true;
  write(self, "media_stored",
        [batch](write_txn& txn, write_notes&) {
          std::vector<std::pair<std::string, std::string>> dashboard;
          for (const auto& d : *batch) {
            auto e = outbox::get(txn, d.seq);
            if (!e || !with_media(e->data, d.media)) {
              continue; // erased meanwhile (data deletion), or not a record
            }
            outbox::update(txn, *e, e->next_attempt_at);
            media_refs::add(txn, e->user, d.names);
            dashboard.emplace_back(e->id, d.media);
          }
          dashboard::note_stored_media(txn, dashboard);
        },
        [self, batch](bool ok) {
          auto& st = self->state;
          st.media_writing = false;
          st.media_busy -= batch->size();
          for (const auto& d : *batch) {
            st.in_flight.erase(d.seq);
          }
          if (!ok) {
            arm_tick(self, st.ctx->now() + 5);
          }
          write_media_done(self);
          answer_drain_waiters(st);
          pump(self);
        });
}

void start_media(delivery_self self, outbox_entry& e) {
  auto& st = self->state;
  st.in_flight.insert(e.seq);
  ++st.media_in_flight;
  ++st.media_busy;
  media_job job;
  job.seq = e.seq;
  job.user = e.user;
  constexpr std::string_view prefix = "instagram:";
  job.media_id = e.id.compare(0, prefix.size(), prefix) == 0 ? e.id.substr(prefix.size()) : e.id;
  job.record = std::move(e.data);
  self->send(st.fetcher, media_atom::value, std::move(job));
}

void pump_jsonl(delivery_self self, std::vector<outbox_entry> due) {
  auto& st = self->state;
  auto now = st.ctx->now();
  jsonl_batch batch;
  for (auto& e : due) {
    batch.lines += jsonl_line(e, now);
    batch.seqs.push_back(e.seq);
    st.in_flight.insert(e.seq);
  }
  st.pumping = true;
  auto start = std::chrono::steady_clock::now();
  auto seqs = batch.seqs;
  self->request(st.file_sink, write_timeout, append_atom::value, std::move(batch))
    .then(
      [self, seqs, start](const std::string& error) {
        auto& st = self->state;
        st.pumping = false;
        observe_since(st, start);
        if (error.empty()) {
          delivered(self, seqs, "delivered");
        } else {
          failed(self, seqs, error, 0);
        }
      },
      [self, seqs](caf::error& e) {
        self->state.pumping = false;
        failed(self, seqs, caf::to_string(e), 0);
      });
}

void pump(delivery_self self) {
  auto& st = self->state;
  if (st.gone || st.draining) {
    return;
  }
  const auto& sink = st.ctx->cfg.sink;
  bool is_jsonl = sink.type == "jsonl";
  auto limit = static_cast<std::size_t>(std::max(1, sink.concurrency));
  auto at_sink = st.in_flight.size() - std::min(st.in_flight.size(), st.media_busy);
  std::size_t room = is_jsonl ? (st.pumping ? 0 : jsonl_batch_size) // one batch at a time:
                              : limit - std::min(at_sink, limit);    // the file is in order
  // The fetcher gets a few times media.concurrency records, so that its
  // window never runs dry while records wait here.
  auto media_bound =
    st.media ? std::max<std::size_t>(64, 4 * static_cast<std::size_t>(st.ctx->cfg.media.concurrency))
             : 0;
  auto media_room = media_bound - std::min(st.media_in_flight, media_bound);
  if (room == 0 && media_room == 0) {
    return;
  }
  auto now = st.ctx->now();
  auto work = due_records(self, room, media_room, now);
  for (auto& e : work.media) {
    start_media(self, e);
  }
  auto due = std::move(work.ready);
  if (due.empty()) {
    return;
  }
  if (is_jsonl) {
    pump_jsonl(self, std::move(due));
    return;
  }
  std::vector<uint64_t> skipped;
  for (auto& e : due) {
    st.in_flight.insert(e.seq);
    if (sink.type == "micropub" && e.type != "media.imported") {
      // Micropub has no notion of account events; nothing to send.
      skipped.push_back(e.seq);
      continue;
    }
    auto seq = e.seq;
    auto start = std::chrono::steady_clock::now();
    if (sink.type == "micropub") {
      st.micropub_started.emplace(seq, start);
      spawn_micropub_post(self, st.ctx, st.media, caf::actor_cast<delivery_actor>(self),
                          std::move(e), st.micropub);
      continue;
    }
    auto req = webhook_request(sink.url, st.ctx->live()->cfg.sink.secret, e, now);
    st.http.call(st.ctx->http, caf::actor_cast<caf::actor>(self), std::move(req),
                 std::chrono::seconds(sink.timeout_s), [self, seq, start](http_response r) {
                   on_http_result(self, seq, std::move(r), start);
                 });
  }
  if (!skipped.empty()) {
    delivered(self, std::move(skipped), "skipped");
  }
}

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
  st.file_sink = std::move(file_sink);
  st.media = std::move(media);
  if (st.media) {
    st.fetcher = spawn_media_fetcher(self, st.ctx, st.media, std::move(registry),
                                     caf::actor_cast<delivery_actor>(self));
  }
  keep_running(self, "delivery");
  guarded("delivery.init_failed", [&] {
    if (st.ctx->cfg.sink.type == "webhook") {
      st.gone = meta::sink_gone(st.ctx->db->read()) == st.ctx->cfg.sink.url;
    }
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
    [=](media_atom, uint64_t seq, media_result& r) {
      auto& st = self->state;
      --st.media_in_flight;
      if (!r.error.empty()) {
        --st.media_busy; // at the sink's retry schedule now, like a failed delivery
        failed(self, {seq}, r.error, 0);
        return;
      }
      st.media_done.emplace_back(seq, std::move(r.media));
      guarded("delivery.media_failed", [&] { write_media_done(self); });
    },
    [=](micropub_atom, uint64_t seq, micropub_outcome& o) {
      auto& st = self->state;
      if (o.discovered) {
        st.micropub = {true, o.media_endpoint};
      }
      auto start = std::chrono::steady_clock::now();
      if (auto i = st.micropub_started.find(seq); i != st.micropub_started.end()) {
        start = i->second;
        st.micropub_started.erase(i);
      }
      guarded("delivery.result_failed",
              [&] { on_http_result(self, seq, std::move(o.answer), start); });
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
