// The user actor's behaviour: linking, unlinking, hints and timers. The
// fetch loop is in user_fetch.cpp, token refresh in user_token.cpp.

#include "user.hpp"

#include <caf/all.hpp>

#include "keep_running.hpp"

#include "igbridge/clock.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/log.hpp"
#include "igbridge/messages.hpp"
#include "igbridge/metrics.hpp"
#include "igbridge/schedule.hpp"
#include "outbox_writer.hpp"

namespace igbridge {

caf::actor self_handle(user_self self) {
  return caf::actor_cast<caf::actor>(self);
}

std::string plain_token(const user_state& st) {
  const auto& key = st.ctx->cfg.storage.key;
  if (key.empty()) {
    return st.rec.token;
  }
  auto t = unseal(key, st.rec.token);
  return t ? *t : std::string{};
}

std::string stored_token(const user_state& st, const std::string& plain) {
  const auto& key = st.ctx->cfg.storage.key;
  return key.empty() ? plain : seal(key, plain);
}

void save_user(user_self self) {
  auto txn = self->state.ctx->db->write();
  txn.put(db::users, self->state.rec.user, encode(self->state.rec));
  txn.commit();
}

void arm_fetch(user_self self, int64_t due) {
  auto& st = self->state;
  ++st.fetch_gen;
  st.armed_due = due;
  if (due <= 0) {
    return;
  }
  auto delay = std::max<int64_t>(0, due - st.ctx->now());
  self->delayed_send(self, std::chrono::seconds(delay), fetch_atom::value, st.fetch_gen);
}

void require_reauth(user_self self, const std::string& why) {
  auto& st = self->state;
  auto now = st.ctx->now();
  st.rec.state = "reauth_required";
  st.rec.linked = false;
  st.rec.last_error = why;
  st.rec.next_fetch_at = 0;
  st.rec.token.clear();
  auto e = revoked_event(st.rec.user, st.rec.instagram_user_id, "token_invalid", now);
  {
    auto txn = st.ctx->db->write();
    append_outbox(txn, e);
    txn.put(db::users, st.rec.user, encode(st.rec));
    txn.commit();
  }
  arm_fetch(self, 0);
  ++st.refresh_gen;
  if (st.ctx->stats) {
    st.ctx->stats->inc("igbridge_link_revocations_total", {{"reason", "token_invalid"}});
  }
  log(log_level::warning, "user.reauth_required", {{"user", st.rec.user}, {"reason", why}});
  caf::anon_send(st.delivery, kick_atom::value);
}

namespace {

/// Earliest of the stored schedule and a pending webhook hint.
int64_t effective_due(const user_state& st) {
  int64_t due = st.rec.next_fetch_at;
  auto txn = st.ctx->db->read();
  if (auto v = txn.get(db::hints, st.rec.user)) {
    if (auto h = decode_hint(*v)) {
      due = due == 0 ? h->due_at : std::min(due, h->due_at);
    }
  }
  return due;
}

void load(user_self self, const std::string& user) {
  auto& st = self->state;
  auto txn = st.ctx->db->read();
  if (auto v = txn.get(db::users, user)) {
    if (auto r = decode_user(*v)) {
      st.rec = std::move(*r);
      return;
    }
    log(log_level::error, "user.record_unreadable", {{"user", user}});
  }
  st.rec = user_record{};
  st.rec.user = user;
}

/// A link or unlink starts a new generation: answers to a fetch still in
/// flight for the old link are dropped, so that fetch must not keep the
/// next one from starting either.
void start_new_link_generation(user_state& st) {
  ++st.link_gen;
  st.fetching = false;
  st.fetch_again = false;
}

void on_link(user_self self, const link_grant& lg) {
  auto& st = self->state;
  auto now = st.ctx->now();
  auto old_ig = st.rec.instagram_user_id;
  bool was_active = st.rec.state == "active";
  st.rec.linked = true;
  st.rec.state = "active";
  st.rec.instagram_user_id = lg.grant.user_id;
  st.rec.username = lg.grant.username;
  st.rec.linked_at = now;
  st.rec.token = stored_token(st, lg.grant.access_token);
  st.rec.token_issued_at = lg.issued_at;
  st.rec.token_expires_at = lg.grant.expires_in > 0 ? lg.issued_at + lg.grant.expires_in : 0;
  st.rec.last_error.clear();
  st.rec.fetch_failures = 0;
  // A new account starts with an initial fetch; a re-link of the same one
  // continues where it was (its seen set still holds).
  if (old_ig != st.rec.instagram_user_id) {
    st.rec.initial_fetch_done = false;
  }
  st.rec.next_fetch_at = now;
  {
    auto txn = st.ctx->db->write();
    if (!old_ig.empty() && old_ig != st.rec.instagram_user_id) {
      txn.del(db::ig_index, old_ig, st.rec.user);
    }
    txn.put(db::ig_index, st.rec.instagram_user_id, st.rec.user);
    txn.put(db::users, st.rec.user, encode(st.rec));
    txn.commit();
  }
  start_new_link_generation(st);
  log(log_level::notice, "user.linked",
      {{"user", st.rec.user}, {"instagram_user_id", st.rec.instagram_user_id},
       {"username", st.rec.username}, {"relink", was_active ? "true" : "false"}});
  arm_fetch(self, now);
  arm_refresh(self);
}

/// Forgets the token; `erase_data` also drops the seen set and undelivered
/// imports (data deletion). `notify` delivers link.revoked.
void on_unlink(user_self self, bool notify, bool erase_data, const std::string& reason) {
  auto& st = self->state;
  auto now = st.ctx->now();
  auto ig = st.rec.instagram_user_id;
  st.rec.linked = false;
  st.rec.state = "unlinked";
  st.rec.token.clear();
  st.rec.token_expires_at = 0;
  st.rec.next_fetch_at = 0;
  st.rec.last_error = reason;
  {
    auto txn = st.ctx->db->write();
    if (!ig.empty()) {
      txn.del(db::ig_index, ig, st.rec.user);
    }
    txn.del(db::hints, st.rec.user);
    if (erase_data) {
      std::vector<std::string> keys;
      txn.scan_prefix(db::seen, seen_key(st.rec.user, ""), [&](auto k, auto) {
        keys.emplace_back(k);
        return true;
      });
      for (auto& k : keys) {
        txn.del(db::seen, k);
      }
      keys.clear();
      txn.scan(db::outbox, "", [&](auto k, auto v) {
        if (auto e = decode_outbox(v); e && e->user == st.rec.user) {
          keys.emplace_back(k);
        }
        return true;
      });
      for (auto& k : keys) {
        txn.del(db::outbox, k);
      }
      forget_fetch_resume(txn, st.rec.user);
      st.rec.instagram_user_id.clear();
      st.rec.username.clear();
      st.rec.recent_imports.clear();
      st.rec.initial_fetch_done = false;
    }
    if (notify) {
      auto e = revoked_event(st.rec.user, ig, reason, now);
      append_outbox(txn, e);
    }
    txn.put(db::users, st.rec.user, encode(st.rec));
    txn.commit();
  }
  start_new_link_generation(st);
  arm_fetch(self, 0);
  ++st.refresh_gen;
  log(log_level::notice, "user.unlinked",
      {{"user", st.rec.user}, {"reason", reason}, {"erased", erase_data ? "true" : "false"}});
  if (notify) {
    caf::anon_send(st.delivery, kick_atom::value);
  }
}

void on_restore(user_self self, const restore_order& order) {
  auto& st = self->state;
  if (st.rec.state != "active") {
    return;
  }
  auto now = st.ctx->now();
  auto due = effective_due(st);
  if (due == 0 && st.ctx->cfg.import.poll) {
    due = now;
  }
  if (due != 0 && due <= now) {
    // After downtime many users are overdue at once: spread them out so the
    // provider sees a ramp, not a spike.
    auto window = std::min<int64_t>(st.ctx->cfg.import.poll_tiers_s.front(),
                                    static_cast<int64_t>(order.overdue_total / 5) + 1);
    due = spread_overdue(now, order.overdue_rank, order.overdue_total, window);
  }
  arm_fetch(self, due);
  arm_refresh(self);
}

/// Runs `f`; a store failure is logged and answered with false instead of
/// killing the actor (an exception escaping a handler would).
template <class F>
bool guarded(user_self self, const char* what, F f) {
  try {
    f();
    return true;
  } catch (const std::exception& e) {
    log(log_level::error, what, {{"user", self->state.rec.user}, {"error", e.what()}});
    return false;
  }
}

} // namespace

caf::behavior user_actor(caf::stateful_actor<user_state>* self, context_ptr ctx,
                         caf::actor delivery, std::string user) {
  self->state.ctx = std::move(ctx);
  keep_running(self, "user");
  self->state.delivery = std::move(delivery);
  guarded(self, "user.load_failed", [&] { load(self, user); });
  return {
    [=](restore_atom, const restore_order& order) {
      guarded(self, "user.restore_failed", [&] { on_restore(self, order); });
    },
    [=](link_atom, const link_grant& lg) -> bool {
      return guarded(self, "user.link_failed", [&] { on_link(self, lg); });
    },
    [=](unlink_atom, bool notify, const std::string& reason) -> bool {
      return guarded(self, "user.unlink_failed", [&] { on_unlink(self, notify, false, reason); });
    },
    [=](erase_atom, const std::string& reason) -> bool {
      return guarded(self, "user.erase_failed", [&] { on_unlink(self, true, true, reason); });
    },
    [=](fetch_atom, uint64_t gen) {
      if (gen != self->state.fetch_gen) {
        return; // superseded timer
      }
      self->state.armed_due = 0;
      guarded(self, "user.fetch_failed", [&] { start_fetch(self); });
    },
    [=](fetch_now_atom) -> bool {
      if (self->state.rec.state != "active") {
        return false;
      }
      guarded(self, "user.fetch_failed", [&] { start_fetch(self); });
      return true;
    },
    [=](hint_atom, int64_t due) {
      auto& st = self->state;
      if (st.rec.state != "active" || st.fetching) {
        return; // a running fetch re-reads the stored hint when it ends
      }
      if (st.armed_due == 0 || due < st.armed_due) {
        arm_fetch(self, due);
      }
    },
    [=](refresh_atom, uint64_t gen) {
      if (gen != self->state.refresh_gen) {
        return;
      }
      guarded(self, "user.refresh_failed", [&] { refresh_token(self); });
    },
    [=](http_done_atom, http_reply& reply) {
      guarded(self, "user.http_failed", [&] { self->state.http.complete(reply); });
    },
  };
}

} // namespace igbridge
