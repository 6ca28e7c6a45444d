// Backfill (DESIGN §9, "Rules and backfill"): after a change of rules, or
// when asked (`igbridge users backfill ID`), the user actor walks the
// account's history newest first, back to `since` or import.backfill_max
// posts, and imports the posts the rules now match. A post imported once is
// never imported again: the imports family keeps every import for as long
// as the user, whatever the seen set pruned, so there is no horizon. Each
// page commits with its progress; a rate limit pauses the walk until the
// provider's estimate (or a minute) and it resumes from the page it was
// refused; a restart begins the walk again from the newest post, which
// imports nothing twice.

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "igbridge/clock.hpp"
#include "igbridge/log.hpp"
#include "igbridge/store/dashboard.hpp"
#include "igbridge/store/imports.hpp"
#include "igbridge/store/seen.hpp"
#include "user/fetch_plan.hpp"
#include "user/import_changes.hpp"
#include "user/user.hpp"

namespace igbridge {

namespace {

constexpr int page_size = 50;
constexpr auto page_timeout = std::chrono::seconds{30};

/// The walk is over (its state already stored): say so, and let the actor
/// passivate when nothing else keeps it.
void backfill_ended(user_self self, backfill_state state) {
  auto& st = self->state;
  st.backfilling = false;
  log(state == backfill_state::done ? log_level::notice : log_level::warning, "backfill.ended",
      {{"user", st.rec.user}, {"state", to_string(state)},
       {"scanned", std::to_string(st.rec.backfill.scanned)},
       {"imported", std::to_string(st.rec.backfill.imported)}});
  maybe_idle(self);
}

void end_backfill(user_self self, backfill_state state, const std::string& error) {
  auto& st = self->state;
  st.backfilling = false;
  submit(self, {[state, error](user_record& rec, write_txn&, write_notes&) {
                  rec.backfill.state = state;
                  rec.backfill.last_error = error;
                  return true;
                },
                [self, state](bool, const std::string&) { backfill_ended(self, state); },
                "backfill_end"});
}

void ask_page(user_self self, http_request req);

/// One page: the posts within the walk are judged by the rules now, and
/// those that match and were never imported are imported, with the
/// progress, in one transaction.
void on_backfill_page(user_self self, uint64_t gen, http_request asked, http_response resp) {
  auto& st = self->state;
  if (gen != st.backfill_gen || !st.backfilling) {
    return;
  }
  auto err = classify(resp);
  if (err && err.kind == provider_failure::rate_limited) {
    auto now = st.ctx->now();
    auto delay = err.retry_after_s > 0 ? err.retry_after_s : 60;
    if (err.scope == rate_scope::app) {
      st.ctx->throttle(now + delay);
    }
    st.backfill_paused = std::make_unique<http_request>(std::move(asked));
    auto until = rfc3339(now + delay);
    submit(self, {[until](user_record& rec, write_txn&, write_notes&) {
                    rec.backfill.last_error = "rate_limited: resumes at " + until;
                    return true;
                  },
                  {}, "backfill_pause"});
    log(log_level::notice, "backfill.paused", {{"user", st.rec.user}, {"until", until}});
    self->delayed_send(self, std::chrono::seconds(delay), backfill_atom::value, gen);
    return;
  }
  if (err) {
    return end_backfill(self, backfill_state::failed,
                        std::string(to_string(err.kind)) + ": " + err.message);
  }
  auto page = parse_media_page(st.ctx->dialect, resp.body);
  if (!page) {
    return end_backfill(self, backfill_state::failed, "media page unreadable");
  }
  auto now = st.ctx->now();
  auto plan = plan_page(page->items, std::vector<std::optional<seen_entry>>(page->items.size()),
                        rules_of(st), now, st.ctx->cfg.import.recheck_s, -1);
  auto max = static_cast<uint64_t>(st.ctx->cfg.import.backfill_max);
  auto items = std::move(page->items);
  auto next = page->next_url;
  auto finished = std::make_shared<bool>(next.empty());
  submit(self, {[items, plan, now, max, finished](user_record& rec, write_txn& txn,
                                                  write_notes& notes) {
                  auto& b = rec.backfill;
                  std::vector<nlohmann::json> records;
                  for (std::size_t i = 0; i < items.size(); ++i) {
                    const auto& item = items[i];
                    auto taken = taken_at_of(item, now);
                    if (b.scanned >= max || (b.since != 0 && taken < b.since)) {
                      *finished = true;
                      break;
                    }
                    ++b.scanned;
                    if (plan.items[i].judged != verdict::imported
                        || imports::get(txn, rec.user, item.id)) {
                      continue; // not wanted, or imported once already
                    }
                    auto old = seen::get(txn, rec.user, item.id);
                    seen_entry e;
                    e.first_seen = old ? old->first_seen : now;
                    e.taken_at = old ? old->taken_at : taken;
                    e.judged = verdict::imported;
                    e.caption_hash = caption_hash(item.caption);
                    seen::put(txn, rec, item.id, e, !old);
                    records.push_back(queue_import(txn, notes, rec, item, e.taken_at, now));
                    ++b.imported;
                  }
                  dashboard::note_imports(txn, records);
                  if (*finished) {
                    b.state = backfill_state::done;
                    b.last_error.clear();
                  }
                  return true;
                },
                [self, gen, next, finished](bool ok, const std::string& error) {
                  auto& st = self->state;
                  if (gen != st.backfill_gen || !st.backfilling) {
                    return;
                  }
                  if (!ok) {
                    return end_backfill(self, backfill_state::failed, "storage: " + error);
                  }
                  if (*finished) {
                    return backfill_ended(self, backfill_state::done);
                  }
                  ask_page(self, next_page_request(next));
                },
                "backfill_page"});
}

void ask_page(user_self self, http_request req) {
  auto& st = self->state;
  auto gen = st.backfill_gen;
  auto again = req;
  st.http.call(st.ctx->http, self_handle(self), std::move(req), page_timeout,
               [self, gen, again = std::move(again)](http_response r) mutable {
                 on_backfill_page(self, gen, std::move(again), std::move(r));
               });
}

} // namespace

void start_backfill(user_self self, int64_t since, std::function<void(bool)> started) {
  auto& st = self->state;
  if (!st.stored || st.rec.state != user_state::active) {
    started(false);
    return;
  }
  auto now = st.ctx->now();
  ++st.backfill_gen; // a walk in progress gives way to the new one
  st.backfilling = true;
  st.backfill_paused.reset();
  auto gen = st.backfill_gen;
  submit(self, {[since, now](user_record& rec, write_txn&, write_notes&) {
                  rec.backfill = backfill_progress{backfill_state::running, since, now, 0, 0, {}};
                  return true;
                },
                [self, started, gen](bool ok, const std::string&) mutable {
                  auto& st = self->state;
                  started(ok);
                  if (!ok || gen != st.backfill_gen) {
                    if (!ok) {
                      st.backfilling = false;
                    }
                    return;
                  }
                  auto token = plain_token(st);
                  if (token.empty()) {
                    return end_backfill(self, backfill_state::failed, "token unusable");
                  }
                  log(log_level::notice, "backfill.started", {{"user", st.rec.user}});
                  ask_page(self, media_request(st.ctx->cfg, token, st.rec.instagram_user_id,
                                               page_size));
                },
                "backfill_start"});
}

void resume_backfill(user_self self, uint64_t gen) {
  auto& st = self->state;
  if (gen != st.backfill_gen || !st.backfilling || !st.backfill_paused) {
    return;
  }
  auto req = std::move(*st.backfill_paused);
  st.backfill_paused.reset();
  log(log_level::notice, "backfill.resumed", {{"user", st.rec.user}});
  ask_page(self, std::move(req));
}

} // namespace igbridge
