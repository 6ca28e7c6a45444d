// The registry: spawns user actors lazily, turns webhook hints into durable
// schedule changes (one commit per payload), and re-arms every stored
// schedule at start-up.

#include <algorithm>
#include <unordered_map>

#include <caf/all.hpp>

#include "keep_running.hpp"

#include "igbridge/actors.hpp"
#include "igbridge/clock.hpp"
#include "igbridge/log.hpp"
#include "igbridge/messages.hpp"
#include "igbridge/metrics.hpp"
#include "igbridge/records.hpp"
#include "user.hpp"

namespace igbridge {

namespace {

struct registry_state {
  context_ptr ctx;
  caf::actor delivery;
  std::unordered_map<std::string, caf::actor> users;
  std::vector<hint_batch> pending; // payloads waiting for the next commit
  bool flush_scheduled = false;
  static inline const char* name = "igbridge.registry";
};

using registry_self = caf::stateful_actor<registry_state>*;

caf::actor user_of(registry_self self, const std::string& user) {
  auto& st = self->state;
  auto i = st.users.find(user);
  if (i != st.users.end()) {
    return i->second;
  }
  // Linked: when the registry goes, its users go with it (and their timers).
  auto a = self->spawn<caf::linked>(user_actor, st.ctx, st.delivery, user);
  st.users.emplace(user, a);
  if (st.ctx->stats) {
    st.ctx->stats->set("igbridge_user_actors", {}, static_cast<double>(st.users.size()));
  }
  return a;
}

bool user_exists(const registry_state& st, const std::string& user) {
  return static_cast<bool>(st.ctx->db->read().get(db::users, user));
}

http_response json_ok(int status, const std::string& body) {
  http_response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = body;
  return r;
}

/// Commits every queued payload's hints in one transaction (group commit:
/// payloads that arrive while a commit runs share the next one), answers
/// each payload 200 after that commit, then tells the user actors.
void flush_hints(registry_self self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  auto batches = std::move(st.pending);
  st.pending.clear();
  if (batches.empty()) {
    return;
  }
  auto now = st.ctx->now();
  auto due = now + st.ctx->cfg.import.webhook_delay_s;
  std::vector<std::string> hinted;
  std::vector<std::pair<std::size_t, std::size_t>> counts; // hinted, unknown per batch
  try {
    auto txn = st.ctx->db->write();
    for (auto& batch : batches) {
      std::size_t batch_hinted = 0;
      std::size_t unknown = 0;
      for (const auto& ig : batch.instagram_user_ids) {
        auto app_users = txn.get_all(db::ig_index, ig);
        if (app_users.empty()) {
          ++unknown;
          continue;
        }
        for (auto& u : app_users) {
          hint h;
          if (auto v = txn.get(db::hints, u)) {
            if (auto old = decode_hint(*v)) {
              h = *old;
            }
          }
          h.due_at = h.due_at == 0 ? due : std::min(h.due_at, due);
          h.received_at = now;
          txn.put(db::hints, u, encode(h));
          hinted.push_back(std::move(u));
          ++batch_hinted;
        }
      }
      counts.emplace_back(batch_hinted, unknown);
    }
    // Only after this commit may Instagram hear 200.
    txn.commit();
  } catch (const std::exception& e) {
    log(log_level::error, "webhook.commit_failed", {{"error", e.what()}});
    for (auto& batch : batches) {
      batch.reply->respond(json_ok(503, R"({"error":"could not record the update"})"));
    }
    return;
  }
  auto* stats = st.ctx->stats;
  if (stats) {
    stats->inc("igbridge_webhook_commits_total");
  }
  for (std::size_t i = 0; i < batches.size(); ++i) {
    auto [n, unknown] = counts[i];
    batches[i].reply->respond(json_ok(200, "{\"hinted\":" + std::to_string(n)
                                             + ",\"unknown\":" + std::to_string(unknown) + "}"));
    if (stats) {
      stats->observe("igbridge_webhook_ack_duration_seconds", {},
                     std::chrono::duration<double>(std::chrono::steady_clock::now()
                                                   - batches[i].received)
                       .count());
      stats->inc("igbridge_webhook_hints_total", {{"result", "scheduled"}},
                 static_cast<double>(n));
      stats->inc("igbridge_webhook_hints_total", {{"result", "unknown_account"}},
                 static_cast<double>(unknown));
    }
  }
  std::sort(hinted.begin(), hinted.end());
  hinted.erase(std::unique(hinted.begin(), hinted.end()), hinted.end());
  for (auto& u : hinted) {
    self->send(user_of(self, u), hint_atom::value, due);
  }
  log(log_level::info, "webhook.hints",
      {{"payloads", std::to_string(batches.size())}, {"users", std::to_string(hinted.size())}});
}

void on_restore(registry_self self) {
  auto& st = self->state;
  auto now = st.ctx->now();
  std::vector<std::pair<std::string, bool>> active; // user, overdue
  std::size_t overdue = 0;
  {
    auto txn = st.ctx->db->read();
    txn.scan(db::users, "", [&](std::string_view k, std::string_view v) {
      auto r = decode_user(v);
      if (r && r->state == "active") {
        bool late = r->next_fetch_at <= now;
        if (auto hv = txn.get(db::hints, k)) {
          if (auto h = decode_hint(*hv); h && h->due_at <= now) {
            late = true;
          }
        }
        overdue += late ? 1 : 0;
        active.emplace_back(std::string(k), late);
      }
      return true;
    });
  }
  std::size_t rank = 0;
  for (auto& [user, late] : active) {
    restore_order order{late ? rank++ : 0, overdue};
    self->send(user_of(self, user), restore_atom::value, order);
  }
  log(log_level::info, "registry.restored",
      {{"active_users", std::to_string(active.size())}, {"overdue", std::to_string(overdue)}});
}

caf::behavior registry_actor(registry_self self, context_ptr ctx, caf::actor delivery) {
  self->state.ctx = std::move(ctx);
  keep_running(self, "registry");
  self->state.delivery = std::move(delivery);
  return {
    [=](user_atom, const std::string& user, bool create) -> caf::actor {
      if (!create && self->state.users.count(user) == 0 && !user_exists(self->state, user)) {
        return caf::actor{};
      }
      return user_of(self, user);
    },
    [=](hint_batch& batch) {
      auto& st = self->state;
      st.pending.push_back(std::move(batch));
      if (!st.flush_scheduled) {
        // Queued behind every payload already in the mailbox.
        st.flush_scheduled = true;
        self->send(self, flush_atom::value);
      }
    },
    [=](flush_atom) { flush_hints(self); },
    [=](restore_atom) {
      try {
        on_restore(self);
      } catch (const std::exception& e) {
        log(log_level::error, "registry.restore_failed", {{"error", e.what()}});
      }
    },
    [=](fetch_now_atom, const std::string& user) -> caf::result<bool> {
      if (self->state.users.count(user) == 0 && !user_exists(self->state, user)) {
        return false;
      }
      // The user actor answers the original sender itself.
      auto rp = self->make_response_promise();
      rp.delegate(user_of(self, user), fetch_now_atom::value);
      return rp;
    },
    [=](ping_atom) -> ok_atom { return ok_atom::value; },
  };
}

} // namespace

caf::actor spawn_registry(caf::actor_system& sys, context_ptr ctx, caf::actor delivery) {
  return sys.spawn(registry_actor, std::move(ctx), std::move(delivery));
}

} // namespace igbridge
