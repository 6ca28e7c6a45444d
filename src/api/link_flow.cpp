// Account linking, second half: a short-lived actor per callback walks the
// provider's exchange (code → token; graph: → long-lived token → /me) and
// hands the grant to the user's actor, which stores it. The browser is
// redirected to the host app either way.

#include <caf/all.hpp>

#include "api/front.hpp"
#include "user/user.hpp" // unit_random
#include "core/http_waiter.hpp"
#include "igbridge/clock.hpp"
#include "igbridge/log.hpp"
#include "igbridge/metrics.hpp"
#include "igbridge/schedule.hpp"
#include "igbridge/subscriptions.hpp"
#include "api/responses.hpp"

namespace igbridge {

namespace {

/// The whole exchange (up to four provider calls) must end inside the
/// listener's own 15 s deadline, so the browser always gets our redirect.
constexpr auto flow_budget = std::chrono::seconds{12};

struct link_state {
  context_ptr ctx;
  registry_actor registry;
  std::string user;
  responder_ptr reply;
  http_waiter http;
  token_grant grant;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() + flow_budget;
  std::function<void()> retry; // a step's quick retry, run on again_atom
  uint64_t retry_gen = 0;
  static inline const char* name = "igbridge.link";
};

/// The link flow's own interface: provider answers, its quick retries, and
/// (cluster mode) whether the owner's stream stored a forwarded grant.
using link_actor = caf::typed_actor<caf::reacts_to<http_done_atom, http_reply>,
                                    caf::reacts_to<again_atom, uint64_t>,
                                    caf::reacts_to<link_atom, bool>>;

using link_self = link_actor::stateful_pointer<link_state>;

/// What is left of the flow's budget for the next provider call.
std::chrono::milliseconds step_timeout(const link_state& st) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    st.deadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds{1});
}

void finish(link_self self, const std::string& query, const char* outcome) {
  auto& st = self->state;
  st.ctx->stats.inc("igbridge_link_attempts_total", {{"outcome", outcome}});
  auto res = redirect(with_query(st.ctx->cfg.link.success_url, query));
  res.headers.emplace_back("Set-Cookie",
                           "igb_oauth=; Path=/oauth/instagram; HttpOnly; SameSite=Lax; Max-Age=0");
  st.reply->respond(std::move(res));
  self->quit();
}

void fail(link_self self, const char* step, const provider_error& err) {
  log(log_level::warning, "oauth.provider_failed",
      {{"user", self->state.user}, {"step", step}, {"kind", to_string(err.kind)},
       {"error", err.message}});
  finish(self, "instagram=error&reason=provider", "provider_error");
}

/// One provider call of the flow. A step that is safe to repeat (every one
/// after the code exchange: an authorization code is single-use, and a
/// code the provider may already have redeemed must not be sent twice)
/// is retried after a transient failure, after about 1, 2 and 4 s, while
/// the flow's budget leaves room for the wait and the call.
void call_step(link_self self, const char* step, std::function<http_request()> make,
               bool repeatable, std::function<void(http_response)> k, int attempt = 0) {
  auto& st = self->state;
  st.http.call(st.ctx->http, caf::actor_cast<link_actor>(self), make(), step_timeout(st),
               [=](http_response r) {
                 auto& st = self->state;
                 auto err = classify(r);
                 if (err && repeatable && retryable(err.kind) && attempt < transient_retries) {
                   auto wait = std::chrono::milliseconds(
                     transient_retry_ms(attempt + 1, unit_random()));
                   if (step_timeout(st) > wait + std::chrono::seconds{2}) {
                     log(log_level::notice, "oauth.transient_retry",
                         {{"user", st.user}, {"step", step}, {"error", err.message},
                          {"attempt", std::to_string(attempt + 1)}});
                     st.retry = [=] { call_step(self, step, make, repeatable, k, attempt + 1); };
                     self->delayed_send(self, wait, again_atom::value, ++st.retry_gen);
                     return;
                   }
                 }
                 k(std::move(r));
               });
}

provider_error unreadable(const char* what) {
  provider_error e;
  e.kind = provider_failure::malformed;
  e.message = what;
  return e;
}

void linked(link_self self, bool ok) {
  if (!ok) {
    finish(self, "instagram=error&reason=storage", "storage_error");
    return;
  }
  log(log_level::notice, "oauth.linked", {{"user", self->state.user}});
  finish(self, "instagram=connected", "connected");
}

void store_grant(link_self self) {
  auto& st = self->state;
  link_grant lg{st.grant, st.ctx->now()};
  if (st.ctx->forward_link && !st.ctx->owns_user(st.user)) {
    // Cluster mode: another node serves the user's shard (or this one is
    // still restoring it): the grant goes to its owner, durably, and the
    // browser hears "connected" once the stream stored it.
    auto me = caf::actor_cast<link_actor>(self);
    st.ctx->forward_link(st.user, lg, [me](bool stored) {
      caf::anon_send(me, link_atom::value, stored);
    });
    return;
  }
  self->request(st.registry, actor_timeout, link_atom::value, st.user, lg)
    .then(
      [=](bool ok) { linked(self, ok); },
      [=](const caf::error&) { finish(self, "instagram=error&reason=storage", "storage_error"); });
}

/// graph: the account must opt in to the app's webhooks. Without it
/// polling still imports everything, so a failure here is only logged.
void subscribe_account(link_self self) {
  auto& st = self->state;
  if (st.ctx->cfg.instagram.webhook_fields.empty()) {
    return store_grant(self); // polling only: nothing to subscribe to
  }
  call_step(self, "subscribe",
            [self] {
              auto& st = self->state;
              return subscribed_apps_request(st.ctx->cfg, st.grant.access_token);
            },
            true, [self](http_response r) {
                 if (auto err = classify(r)) {
                   log(log_level::warning, "oauth.subscribe_failed",
                       {{"user", self->state.user}, {"kind", to_string(err.kind)},
                        {"error", err.message}});
                 }
                 store_grant(self);
               });
}

void fetch_me(link_self self) {
  call_step(self, "me",
            [self] {
              auto& st = self->state;
              return me_request(st.ctx->cfg, st.grant.access_token);
            },
            true, [self](http_response r) {
                 auto& st = self->state;
                 if (auto err = classify(r)) {
                   return fail(self, "me", err);
                 }
                 if (!parse_me(r.body, st.grant)) {
                   return fail(self, "me", unreadable("profile unreadable"));
                 }
                 subscribe_account(self);
               });
}

void exchange_long_lived(link_self self) {
  call_step(self, "long_lived",
            [self] {
              auto& st = self->state;
              return long_lived_request(st.ctx->live()->cfg, st.grant.access_token);
            },
            true, [self](http_response r) {
                 auto& st = self->state;
                 if (auto err = classify(r)) {
                   return fail(self, "long_lived", err);
                 }
                 auto g = parse_long_lived(r.body);
                 if (!g || g->access_token.empty()) {
                   return fail(self, "long_lived", unreadable("token answer unreadable"));
                 }
                 st.grant.access_token = g->access_token;
                 st.grant.expires_in = g->expires_in;
                 fetch_me(self);
               });
}

link_actor::behavior_type link_flow(link_self self, context_ptr ctx, registry_actor registry,
                                    std::string user,
                        std::string code, responder_ptr reply) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.registry = std::move(registry);
  st.user = std::move(user);
  st.reply = std::move(reply);
  call_step(self, "code_exchange",
            [self, code] {
              auto& st = self->state;
              return code_exchange_request(st.ctx->live()->cfg, st.ctx->redirect_uri, code);
            },
            false, [self](http_response r) {
                 auto& st = self->state;
                 if (auto err = classify(r)) {
                   return fail(self, "code_exchange", err);
                 }
                 auto g = parse_code_exchange(st.ctx->dialect, r.body);
                 if (!g || g->access_token.empty() || g->user_id.empty()) {
                   return fail(self, "code_exchange", unreadable("token answer unreadable"));
                 }
                 st.grant = *g;
                 if (st.ctx->dialect == dialect::graph) {
                   exchange_long_lived(self);
                 } else {
                   store_grant(self);
                 }
               });
  return {
    [=](http_done_atom, http_reply& reply) { self->state.http.complete(reply); },
    [=](link_atom, bool stored) { linked(self, stored); },
    [=](again_atom, uint64_t gen) {
      auto& st = self->state;
      if (gen == st.retry_gen && st.retry) {
        auto retry = std::move(st.retry);
        st.retry = nullptr;
        retry();
      }
    },
  };
}

} // namespace

void spawn_link_flow(front_self self, std::string user, std::string code, responder_ptr reply) {
  auto& st = self->state;
  self->spawn(link_flow, st.ctx, st.peers.registry, std::move(user), std::move(code),
              std::move(reply));
}

void spawn_link_flow(caf::actor_system& sys, context_ptr ctx, registry_actor registry,
                     std::string user, std::string code, responder_ptr reply) {
  sys.spawn(link_flow, std::move(ctx), std::move(registry), std::move(user), std::move(code),
            std::move(reply));
}

} // namespace igbridge
