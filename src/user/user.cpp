// The user actor's behaviour: wake-ups, linking, unlinking, data erasure,
// rules and passivation. The fetch loop is in user_fetch.cpp, token
// refresh in user_token.cpp, its transactions in user_writes.cpp.

#include "user/user.hpp"

#include <memory>
#include <random>

#include <caf/all.hpp>

#include "core/keep_running.hpp"

#include "igbridge/clock.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/log.hpp"
#include "igbridge/schedule.hpp"
#include "igbridge/store/dashboard.hpp"
#include "igbridge/store/imports.hpp"
#include "igbridge/store/inbox.hpp"
#include "igbridge/store/media_refs.hpp"
#include "igbridge/store/oauth_states.hpp"
#include "igbridge/store/outbox.hpp"
#include "igbridge/store/resume.hpp"
#include "igbridge/store/seen.hpp"
#include "igbridge/store/users.hpp"
#include "user/account_events.hpp"
#include "user/fetch_plan.hpp"

namespace igbridge {

user_actor self_handle(user_self self) {
  return caf::actor_cast<user_actor>(self);
}

double unit_random() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

std::string plain_token(const user_actor_state& st) {
  const auto& key = st.ctx->cfg.storage.key;
  if (key.empty()) {
    return st.rec.token;
  }
  auto t = unseal(key, st.rec.token);
  return t ? *t : std::string{};
}

std::string stored_token(const user_actor_state& st, const std::string& plain) {
  const auto& key = st.ctx->cfg.storage.key;
  return key.empty() ? plain : seal(key, plain);
}

void maybe_idle(user_self self) {
  auto& st = self->state;
  bool busy = st.fetching || st.refreshing || !st.writes.empty()
              || st.http.in_flight() > 0 || st.retry_armed || st.passivating
              || st.backfilling;
  if (busy) {
    return;
  }
  ++st.idle_gen;
  self->delayed_send(self, std::chrono::seconds(st.ctx->cfg.actors.idle_s), idle_atom::value,
                     st.idle_gen);
}

/// A link, unlink or erase starts a new generation: answers to a fetch or
/// refresh still in flight for the old link are dropped, so they must not
/// keep the next one from starting either.
void new_link_generation(user_actor_state& st) {
  ++st.link_gen;
  st.fetching = false;
  st.fetch_again = false;
  st.refreshing = false;
  ++st.backfill_gen;
  st.backfilling = false;
  st.backfill_paused.reset();
}

void require_reauth(user_self self, const std::string& why, const char* reason) {
  auto& st = self->state;
  auto now = st.ctx->now();
  auto gen = st.link_gen;
  std::string reason_text = reason;
  // The failed token is the one committed now. By the time this write runs
  // the link may have ended (an unlink or deauthorize queued before it) or
  // been replaced (a relink): then the failure was the old link's, and the
  // record is left as it is.
  auto failed_token = st.rec.token;
  auto took = std::make_shared<bool>(false);
  submit(self, {[why, reason_text, now, failed_token, took](user_record& rec, write_txn& txn,
                                                              write_notes& notes) {
                  *took = rec.state == user_state::active && rec.token == failed_token;
                  if (!*took) {
                    return true;
                  }
                  rec.state = user_state::reauth_required;
                  rec.last_error = why;
                  rec.next_fetch_at = 0;
                  rec.refresh_at = 0;
                  rec.token.clear();
                  inbox::drop(txn, rec.user);
                  std::vector<std::pair<std::string, std::string>> extra{
                    {"reason", relink_reason(reason_text)}};
                  if (reason_text == "permission") {
                    extra.emplace_back("permission", "instagram_business_basic");
                  }
                  auto a = account_event(event_type::account_needs_relink, rec, now, extra);
                  outbox::append(txn, notes, a);
                  auto e = revoked_event(rec.user, rec.instagram_user_id, reason_text, now);
                  outbox::append(txn, notes, e);
                  return true;
                },
                [self, gen, why, reason_text, took](bool ok, const std::string&) {
                  auto& st = self->state;
                  if (!ok) {
                    retry_later(self);
                    return;
                  }
                  if (!*took) {
                    log(log_level::info, "user.stale_token_failure",
                        {{"user", st.rec.user}, {"reason", why}});
                    return;
                  }
                  if (gen == st.link_gen) {
                    new_link_generation(st);
                  }
                  st.ctx->stats.inc("igbridge_link_revocations_total", {{"reason", reason_text}});
                  log(log_level::warning, "user.reauth_required",
                      {{"user", st.rec.user}, {"reason", why}});
                },
                "reauth"});
}

namespace {

void load(user_self self, const std::string& user) {
  auto& st = self->state;
  st.rec = user_record{};
  st.rec.user = user;
  st.stored = false;
  try {
    if (auto r = users::get(st.ctx->db->read(), user)) {
      st.rec = std::move(*r);
      st.stored = true;
    }
  } catch (const std::exception& e) {
    log(log_level::error, "user.load_failed", {{"user", user}, {"error", e.what()}});
  }
}

/// Woken for nothing to do: a user that is not active drops its hints (the
/// inbox's invariant leaves no other entry to clean), and the schedule
/// entry is rewritten (a write always does that). The cost is this user's
/// own entries, whatever the others' count.
void settle_entries(user_self self) {
  bool active = self->state.rec.state == user_state::active;
  submit(self, {[active](user_record& rec, write_txn& txn, write_notes& notes) {
                  auto h = inbox::get(txn, rec.user);
                  if (h && !active) {
                    inbox::drop(txn, rec.user);
                    h.reset();
                  }
                  // Done with this wake-up, whatever changed.
                  notes.wake(rec.user, h ? h->queued_at : own_due(rec));
                  return true;
                },
                {},
                "settle"});
}

void on_wake(user_self self) {
  auto& st = self->state;
  if (!st.stored) {
    return; // erased or never linked: nothing of ours is in the store
  }
  if (st.rec.state != user_state::active) {
    settle_entries(self);
    return;
  }
  if (st.rec.backfill.state == backfill_state::running && !st.backfilling) {
    // A walk a restart interrupted starts again from the newest post; what
    // it imported before is in the imports family and is not imported twice.
    start_backfill(self, st.rec.backfill.since, [](bool) {});
  }
  if (st.fetching) {
    return; // the fetch in progress reschedules when it ends
  }
  auto now = st.ctx->now();
  auto delay = st.ctx->cfg.import.webhook_delay_s;
  auto h = inbox::get(st.ctx->db->read(), st.rec.user);
  bool hint_due = h && h->queued_at <= now;
  bool own_due = st.rec.next_fetch_at != 0 && st.rec.next_fetch_at <= now;
  bool refresh_due = st.rec.refresh_at != 0 && st.rec.refresh_at <= now;
  if (refresh_due && !st.refreshing) {
    refresh_token(self);
  }
  if (hint_due && !own_due && !st.fetch_owed && st.rec.fetch_failures > 0
      && st.rec.next_fetch_at > now) {
    // Backing off after a failed fetch (a rate limit's time to regain
    // access, a server error's backoff): a hint that came in meanwhile
    // waits for it too, like the ones pending when the fetch failed.
    auto until = st.rec.next_fetch_at;
    submit(self, {[until, delay](user_record& rec, write_txn& txn, write_notes& notes) {
                    inbox::defer(txn, notes, rec.user, until, delay);
                    notes.wake(rec.user, until); // done with this wake-up
                    return true;
                  },
                  {}, "defer_hint"});
    return;
  }
  if (own_due || hint_due || st.fetch_owed) {
    start_fetch(self);
  } else if (!refresh_due) {
    settle_entries(self); // woken for nothing: an entry was stale
  }
}

void on_link(user_self self, const link_grant& lg, caf::typed_response_promise<bool> rp) {
  auto& st = self->state;
  auto now = st.ctx->now();
  auto sealed = stored_token(st, lg.grant.access_token);
  auto graph = st.ctx->dialect == dialect::graph;
  auto was_active = st.rec.state == user_state::active;
  submit(self, {[lg, sealed, now, graph](user_record& rec, write_txn& txn, write_notes& notes) {
                  const auto& g = lg.grant;
                  if (rec.instagram_user_id != g.user_id) {
                    // Another account: its seen set stays, but it starts
                    // with an initial fetch and no cursors of the old one.
                    // (The users module moves the Instagram-id index.)
                    resume::forget(txn, rec.user);
                    rec.initial_fetch_done = false;
                  }
                  rec.state = user_state::active;
                  rec.instagram_user_id = g.user_id;
                  rec.app_scoped_id = g.app_scoped_id;
                  rec.username = g.username;
                  rec.linked_at = now;
                  rec.token = sealed;
                  rec.token_issued_at = lg.issued_at;
                  rec.token_expires_at = g.expires_in > 0 ? lg.issued_at + g.expires_in : 0;
                  rec.last_error.clear();
                  rec.fetch_failures = 0;
                  rec.refresh_failures = 0;
                  rec.next_fetch_at = now;
                  rec.refresh_at = graph && rec.token_expires_at != 0
                                     ? token_refresh_due(rec.token_issued_at, rec.token_expires_at)
                                     : 0;
                  rec.expiring_sent_at = 0;
                  auto e = account_event(event_type::account_linked, rec, now);
                  outbox::append(txn, notes, e);
                  return true;
                },
                [self, rp, was_active](bool ok, const std::string&) mutable {
                  auto& st = self->state;
                  rp.deliver(ok);
                  if (!ok) {
                    return;
                  }
                  new_link_generation(st);
                  log(log_level::notice, "user.linked",
                      {{"user", st.rec.user}, {"instagram_user_id", st.rec.instagram_user_id},
                       {"app_scoped_id", st.rec.app_scoped_id}, {"username", st.rec.username},
                       {"relink", was_active ? "true" : "false"}});
                  start_fetch(self);
                },
                "link"});
}

void on_unlink(user_self self, bool notify, const std::string& reason,
               caf::typed_response_promise<bool> rp) {
  auto& st = self->state;
  if (!st.stored) {
    rp.deliver(false);
    return;
  }
  auto now = st.ctx->now();
  submit(self, {[notify, reason, now](user_record& rec, write_txn& txn, write_notes& notes) {
                  auto ig = rec.instagram_user_id;
                  rec.state = user_state::unlinked;
                  rec.token.clear();
                  rec.token_expires_at = 0;
                  rec.next_fetch_at = 0;
                  rec.refresh_at = 0;
                  rec.last_error = reason;
                  inbox::drop(txn, rec.user);
                  // notify: Instagram's deauthorize callback; else an admin.
                  auto a = account_event(event_type::account_unlinked, rec, now,
                                         {{"by", notify ? "deauthorize" : "admin"}});
                  outbox::append(txn, notes, a);
                  if (notify) {
                    auto e = revoked_event(rec.user, ig, reason, now);
                    outbox::append(txn, notes, e);
                  }
                  media_refs::forget_user(txn, notes, rec.user);
                  return true;
                },
                [self, rp, reason, notify](bool ok, const std::string&) mutable {
                  auto& st = self->state;
                  rp.deliver(ok);
                  if (!ok) {
                    return;
                  }
                  new_link_generation(st);
                  if (notify) {
                    st.ctx->stats.inc("igbridge_link_revocations_total",
                                      {{"reason", "deauthorized"}});
                  }
                  log(log_level::notice, "user.unlinked", {{"user", st.rec.user}, {"reason", reason}});
                },
                "unlink"});
}

/// Everything the store holds of this user goes, in one transaction: its
/// seen set, mailbox, cursors, queued and dead deliveries, OAuth states,
/// dashboard entries and media references; the record and what is derived
/// from it go when the write returns false. Each family erases one key
/// range of this user: the cost does not grow with the other users.
void erase_all(write_txn& txn, write_notes& notes, const std::string& user) {
  seen::erase_user(txn, user);
  imports::erase_user(txn, user);
  inbox::drop(txn, user);
  resume::forget(txn, user);
  outbox::erase_user(txn, user);
  oauth_states::erase_user(txn, user);
  dashboard::forget_user(txn, user);
  media_refs::forget_user(txn, notes, user);
}

/// A data deletion (`code`: the confirmation code Meta shows the user):
/// everything of the user goes, its undelivered events too, and
/// account.deleted is queued alone in the same transaction, the last event
/// the host hears of this user.
void on_erase(user_self self, const std::string& code, caf::typed_response_promise<bool> rp) {
  auto& st = self->state;
  if (!st.stored) {
    rp.deliver(true); // nothing of this user is stored
    return;
  }
  auto now = st.ctx->now();
  submit(self, {[code, now](user_record& rec, write_txn& txn, write_notes& notes) {
                  erase_all(txn, notes, rec.user);
                  auto e = account_event(event_type::account_deleted, rec, now,
                                         {{"confirmation_code", code}});
                  outbox::append(txn, notes, e);
                  return false; // the record goes too
                },
                [self, rp, reason = std::string("data deletion requested")](
                  bool ok, const std::string&) mutable {
                  auto& st = self->state;
                  rp.deliver(ok);
                  if (!ok) {
                    return;
                  }
                  new_link_generation(st);
                  st.ctx->stats.inc("igbridge_link_revocations_total",
                                    {{"reason", "data_deletion"}});
                  log(log_level::notice, "user.erased", {{"user", st.rec.user}, {"reason", reason}});
                },
                "erase"});
}

void on_rules(user_self self, user_rules rules, caf::typed_response_promise<bool> rp) {
  auto& st = self->state;
  if (!st.stored) {
    rp.deliver(false);
    return;
  }
  submit(self, {[rules](user_record& rec, write_txn&, write_notes&) {
                  rec.rules = rules;
                  return true;
                },
                [self, rp, rules](bool ok, const std::string&) mutable {
                  rp.deliver(ok);
                  // New rules may match posts already published: walk back
                  // to their `since` (DESIGN §9).
                  if (ok && self->state.rec.state == user_state::active) {
                    start_backfill(self, rules_from(rules).since, [](bool) {});
                  }
                },
                "rules"});
}

void on_idle(user_self self, uint64_t gen) {
  auto& st = self->state;
  if (gen != st.idle_gen || st.passivating) {
    return;
  }
  bool busy = st.fetching || st.refreshing || !st.writes.empty()
              || st.http.in_flight() > 0 || st.retry_armed || st.backfilling;
  if (busy) {
    return;
  }
  st.passivating = true;
  // The registry says yes only if it has sent us nothing we have not
  // handled; then nothing can reach us any more and we may go.
  self->request(st.registry, std::chrono::seconds{10}, idle_atom::value, st.rec.user, st.handled)
    .then(
      [self](bool ok) {
        self->state.passivating = false;
        if (ok) {
          self->quit();
          return;
        }
        maybe_idle(self);
      },
      [self](caf::error&) {
        self->state.passivating = false;
        maybe_idle(self);
      });
}

/// Runs `f`; a failure is logged instead of killing the actor (an exception
/// escaping a handler would).
template <class F>
void guarded(user_self self, const char* what, F f) {
  try {
    f();
  } catch (const std::exception& e) {
    log(log_level::error, what, {{"user", self->state.rec.user}, {"error", e.what()}});
  }
}

} // namespace

user_actor::behavior_type user_behavior(user_self self, context_ptr ctx, writer_actor writer,
                                        registry_actor registry, std::string user) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.writer = std::move(writer);
  st.registry = std::move(registry);
  keep_running(self, "user");
  load(self, user);
  maybe_idle(self);
  return {
    [=](wake_atom) {
      ++self->state.handled;
      guarded(self, "user.wake_failed", [&] { on_wake(self); });
      maybe_idle(self);
    },
    [=](fetch_now_atom) -> int64_t {
      auto& st = self->state;
      ++st.handled;
      if (!st.stored || st.rec.state != user_state::active) {
        return fetch_now_inactive;
      }
      // A rate-limit hold (this account's, or the app's) is not the
      // admin's to break: the provider would refuse, and count it.
      auto hold = std::max(st.ctx->throttle_until.load(), st.rec.held_until);
      if (hold > st.ctx->now()) {
        maybe_idle(self);
        return hold;
      }
      guarded(self, "user.fetch_failed", [&] { start_fetch(self); });
      maybe_idle(self);
      return fetch_now_started;
    },
    [=](link_atom, link_grant& lg) -> caf::typed_response_promise<bool> {
      ++self->state.handled;
      auto rp = self->make_response_promise<bool>();
      on_link(self, lg, rp);
      return rp;
    },
    [=](unlink_atom, bool notify, std::string& reason) -> caf::typed_response_promise<bool> {
      ++self->state.handled;
      auto rp = self->make_response_promise<bool>();
      on_unlink(self, notify, reason, rp);
      return rp;
    },
    [=](erase_atom, std::string& code) -> caf::typed_response_promise<bool> {
      ++self->state.handled;
      auto rp = self->make_response_promise<bool>();
      on_erase(self, code, rp);
      return rp;
    },
    [=](backfill_atom, int64_t since) -> caf::typed_response_promise<bool> {
      ++self->state.handled;
      auto rp = self->make_response_promise<bool>();
      start_backfill(self, since, [rp](bool ok) mutable { rp.deliver(ok); });
      return rp;
    },
    [=](backfill_atom, uint64_t gen) {
      guarded(self, "user.backfill_failed", [&] { resume_backfill(self, gen); });
      maybe_idle(self);
    },
    [=](rules_atom, user_rules& rules) -> caf::typed_response_promise<bool> {
      ++self->state.handled;
      auto rp = self->make_response_promise<bool>();
      on_rules(self, std::move(rules), rp);
      return rp;
    },
    [=](reread_atom, std::string& media_id) -> caf::typed_response_promise<media_reread> {
      ++self->state.handled;
      auto rp = self->make_response_promise<media_reread>();
      reread_media(self, media_id, rp);
      return rp;
    },
    [=](http_done_atom, http_reply& reply) {
      guarded(self, "user.http_failed", [&] { self->state.http.complete(reply); });
      maybe_idle(self);
    },
    [=](idle_atom, uint64_t gen) { on_idle(self, gen); },
    [=](again_atom, uint64_t fetch_gen) {
      guarded(self, "user.retry_failed", [&] { retry_page(self, fetch_gen); });
      maybe_idle(self);
    },
    [=](tick_atom, uint64_t gen) {
      auto& st = self->state;
      if (gen != st.retry_gen) {
        return;
      }
      st.retry_armed = false;
      guarded(self, "user.retry_failed", [&] { on_wake(self); });
      maybe_idle(self);
    },
  };
}

} // namespace igbridge
