// What a record's outcome at the sink writes: gone from the outbox (with
// the post's URL on the host, when a Micropub create answered one),
// rescheduled on the sink's retry schedule, dead-lettered after the last
// try, or all held when the sink says it is gone (410).

#include <caf/all.hpp>

#include "delivery/delivery.hpp"
#include "igbridge/log.hpp"
#include "igbridge/schedule.hpp"
#include "igbridge/store/imports.hpp"
#include "igbridge/store/meta.hpp"
#include "igbridge/store/outbox.hpp"

namespace igbridge {

namespace {

int64_t retry_after_of(const http_response& r) {
  auto v = header_value(r.headers, "Retry-After");
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) {
    return 0; // absent, an HTTP date or absurd: the schedule decides
  }
  return std::stoll(v);
}

/// Removes delivered records from the outbox; `also(txn)` runs in the
/// same job when every record was still queued (none erased meanwhile).
void remove_delivered(delivery_self self, std::vector<uint64_t> seqs, const char* outcome,
                      std::function<void(write_txn&)> also) {
  auto n = static_cast<double>(seqs.size());
  write(self, "delivered",
        [seqs, also](write_txn& txn, write_notes&) {
          bool all = true;
          for (auto seq : seqs) {
            all = outbox::remove(txn, seq) && all;
          }
          if (all && also) {
            also(txn);
          }
        },
        [self, seqs, outcome, n](bool ok) {
          auto& st = self->state;
          for (auto seq : seqs) {
            settle_flight(st, seq);
          }
          if (ok) {
            count(st, outcome, n);
          }
          // Not removed: they stay due and go again (at least once).
          answer_drain_waiters(st);
          pump(self);
        });
}

} // namespace

void delivered(delivery_self self, std::vector<uint64_t> seqs, const char* outcome) {
  remove_delivered(self, std::move(seqs), outcome, nullptr);
}

void delivered_at(delivery_self self, uint64_t seq, std::string user, std::string media_id,
                  std::string location) {
  // An entry erased meanwhile was a data deletion's: its user's imports are
  // gone too, and must not come back with a Location alone. Nor is an
  // import made up here when it has no entry: one without its values
  // would look edited to the next fetch.
  remove_delivered(self, {seq}, "delivered",
                   [user = std::move(user), media_id = std::move(media_id),
                    location = std::move(location)](write_txn& txn) {
                     if (imports::get(txn, user, media_id)) {
                       imports::set_location(txn, user, media_id, location);
                     }
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
            settle_flight(st, seq);
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

void sink_gone(delivery_self self, uint64_t seq, const std::string& url) {
  auto& st = self->state;
  settle_flight(st, seq);
  st.gone = true;
  write(self, "sink_gone",
        [url](write_txn& txn, write_notes&) { meta::set_sink_gone(txn, url); }, [](bool) {});
  count(st, "gone");
  log(log_level::error, "sink.gone",
      {{"status", "410"}, {"detail", "the endpoint asked us to stop; deliveries are held"}});
  answer_drain_waiters(st);
}

void http_outcome(delivery_self self, uint64_t seq, const http_response& r) {
  if (r.status >= 200 && r.status < 300) {
    delivered(self, {seq}, "delivered");
  } else {
    auto why = r.status == 0 ? r.error : "HTTP " + std::to_string(r.status);
    failed(self, {seq}, why, retry_after_of(r));
  }
}

} // namespace igbridge
