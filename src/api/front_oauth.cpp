// Account linking, first half: the signed connect link becomes a single-use
// OAuth state bound to a cookie; the callback checks both before any code
// is exchanged. States are written through the writer (this actor never
// waits on a disk), bounded per user (a connect link opened a thousand
// times keeps the newest few) and expired through an index ordered by
// expiry, so a start costs the same with fifty thousand live states.

#include <caf/all.hpp>

#include "api/front.hpp"
#include "igbridge/clock.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/link.hpp"
#include "igbridge/log.hpp"
#include "igbridge/store/oauth_states.hpp"
#include "igbridge/text.hpp"
#include "api/responses.hpp"

namespace igbridge {

namespace {

constexpr const char* cookie_name = "igb_oauth";
constexpr int64_t state_ttl_s = 600;
/// Live states per app user: a few tabs, not an unbounded pile.
constexpr std::size_t max_states_per_user = 5;
/// Expired states removed per start: enough to keep up, bounded per request.
constexpr std::size_t sweep_per_start = 64;

std::string state_cookie(const context& ctx, const std::string& value, int64_t max_age) {
  std::string c = std::string(cookie_name) + "=" + value
                  + "; Path=/oauth/instagram; HttpOnly; SameSite=Lax; Max-Age="
                  + std::to_string(max_age);
  if (ctx.cfg.server.public_url.rfind("https://", 0) == 0) {
    c += "; Secure";
  }
  return c;
}

// Each takes the context, not the actor: in cluster mode they run on a
// NATS thread, when the replicated bucket answered.
void count_link(const context& ctx, const char* outcome) {
  ctx.stats.inc("igbridge_link_attempts_total", {{"outcome", outcome}});
}

void refuse(const context& ctx, const responder_ptr& reply, const std::string& remote, int status,
            const char* outcome, const std::string& text) {
  count_link(ctx, outcome);
  log(log_level::notice, "oauth.refused", {{"reason", outcome}, {"remote", remote}});
  reply->respond(html_page(status, "Instagram connection failed", text));
}

/// The answer to a callback whose state failed its check (not `ok`).
void refuse_state(const context& ctx, const responder_ptr& reply, const std::string& remote,
                  oauth_states::check c) {
  switch (c) {
    case oauth_states::check::ok:
    case oauth_states::check::unknown:
      return refuse(ctx, reply, remote, 403, "state_unknown",
                    "This sign-in attempt is not valid or was already used.");
    case oauth_states::check::expired:
      return refuse(ctx, reply, remote, 403, "state_expired",
                    "This sign-in attempt took too long. Please start again.");
    case oauth_states::check::cookie_mismatch:
      return refuse(ctx, reply, remote, 403, "cookie_mismatch",
                    "This sign-in attempt was started in another browser.");
  }
}

void refuse_storage(const context& ctx, const responder_ptr& reply, const std::string& remote) {
  refuse(ctx, reply, remote, 503, "storage_error",
         "We could not finish the connection right now. Please try again.");
}

/// The state is stored: the browser goes to Instagram's consent page.
void started(const context& ctx, const responder_ptr& reply, const std::string& nonce,
             const oauth_state& s, const std::string& remote, bool ok) {
  if (!ok) {
    return refuse(ctx, reply, remote, 503, "storage_error",
                  "We could not start the connection right now. Please try again.");
  }
  auto res = redirect(authorize_url(ctx.cfg, ctx.redirect_uri, nonce));
  res.headers.emplace_back("Set-Cookie", state_cookie(ctx, nonce + "." + s.cookie, state_ttl_s));
  count_link(ctx, "started");
  log(log_level::info, "oauth.start", {{"user", s.user}});
  reply->respond(std::move(res));
}

/// The attempt's cookie, "<nonce>.<secret>": the nonce names the attempt's
/// state, so a cancel that comes back without `state` (Meta's cancel
/// redirect carries none) still finds its attempt; the secret proves the
/// browser is the one that started it. A cookie set before the nonce was
/// added (no dot) is all secret.
struct attempt_cookie {
  std::string nonce;
  std::string secret;
};

attempt_cookie parse_attempt_cookie(const std::string& value) {
  auto dot = value.find('.');
  if (dot == std::string::npos) {
    return {{}, value};
  }
  return {value.substr(0, dot), value.substr(dot + 1)};
}

} // namespace

void oauth_start(front_self self, const route_request& r) {
  const auto& ctx = *self->state.ctx;
  auto user = param(r.query, "user").value_or("");
  auto exp = param(r.query, "exp").value_or("");
  auto sig = param(r.query, "sig").value_or("");
  auto now = ctx.now();
  const auto& remote = r.in.request.remote;
  if (!valid_user_id(user)) {
    return refuse(ctx, r.in.reply, remote, 400, "link_invalid",
                  "This connect link is not valid. Go back to the app and try again.");
  }
  switch (verify_link(ctx.live()->cfg.link.secret, user, exp, sig, now)) {
    case link_check::ok:
      break;
    case link_check::expired:
      return refuse(ctx, r.in.reply, remote, 403, "link_expired",
                    "This connect link has expired. Go back to the app and try again.");
    case link_check::bad_signature:
    case link_check::malformed:
      return refuse(ctx, r.in.reply, remote, 403, "link_invalid",
                    "This connect link is not valid. Go back to the app and try again.");
  }
  oauth_state s;
  s.user = user;
  s.created_at = now;
  s.expires_at = now + state_ttl_s;
  s.cookie = random_token();
  auto nonce = random_token();
  auto reply = r.in.reply;
  auto ctx_ptr = self->state.ctx;
  if (ctx.oauth_put) {
    // Cluster mode: in the replicated bucket (its TTL expires it), so the
    // callback may reach any node.
    ctx.oauth_put(nonce, encode(s), [ctx_ptr, reply, nonce, s, remote](bool ok) {
      started(*ctx_ptr, reply, nonce, s, remote, ok);
    });
    return;
  }
  write_then(self, self->state.peers.writer, "oauth_state",
             [nonce, s, now](write_txn& txn, write_notes&) { oauth_states::add(txn, nonce, s, now); },
             [ctx_ptr, reply, nonce, s, remote](bool ok) {
               started(*ctx_ptr, reply, nonce, s, remote, ok);
             });
}

/// A cancel on the consent page (`error=access_denied`): the person goes
/// back to the app, told it was denied, when `state` or the attempt's cookie
/// identifies the attempt; the state is dropped when the cookie matches it.
/// With neither, a page links to link.cancel_url: never a bare 403.
void oauth_cancel(front_self self, const route_request& r, std::string nonce,
                  const attempt_cookie& cookie) {
  auto reply = r.in.reply;
  auto remote = r.in.request.remote;
  auto ctx_ptr = self->state.ctx;
  if (nonce.empty()) {
    nonce = cookie.nonce;
  }
  auto unidentified = [ctx_ptr, reply, remote] {
    count_link(*ctx_ptr, "cancel_unidentified");
    log(log_level::notice, "oauth.cancelled", {{"identified", "false"}, {"remote", remote}});
    const auto& url = ctx_ptr->cfg.link.cancel_url;
    reply->respond(html_page(200, "Instagram connection cancelled",
                             "You cancelled connecting your Instagram account.", url,
                             "Back to the app"));
  };
  if (nonce.empty()) {
    return unidentified();
  }
  auto secret = cookie.secret;
  auto denied = [ctx_ptr, reply](const oauth_state& s) {
    const auto& ctx = *ctx_ptr;
    count_link(ctx, "denied");
    log(log_level::notice, "oauth.denied", {{"user", s.user}});
    auto res = redirect(with_query(ctx.cfg.link.success_url, "instagram=error&reason=denied"));
    res.headers.emplace_back("Set-Cookie", state_cookie(ctx, "", 0));
    reply->respond(std::move(res));
  };
  if (ctx_ptr->oauth_get) {
    // Cluster mode: identified by the bucket's state; dropped only when the
    // cookie matches, as below.
    ctx_ptr->oauth_get(nonce, [ctx_ptr, nonce, secret, unidentified, denied](
                                std::optional<std::string> v, bool) {
      auto s = v ? decode_oauth_state(*v) : std::nullopt;
      if (!s) {
        return unidentified();
      }
      if (!secret.empty() && constant_time_equal(secret, s->cookie)) {
        ctx_ptr->oauth_take(nonce, [](std::optional<std::string>, bool) {});
      }
      denied(*s);
    });
    return;
  }
  auto found = std::make_shared<std::optional<oauth_state>>();
  write_then(
    self, self->state.peers.writer, "oauth_cancel",
    [nonce, secret, found](write_txn& txn, write_notes&) {
      *found = oauth_states::find(txn, nonce);
      if (*found && !secret.empty() && constant_time_equal(secret, (*found)->cookie)) {
        oauth_states::drop(txn, nonce, **found);
      }
    },
    [found, unidentified, denied](bool ok) {
      if (!ok || !*found) {
        return unidentified();
      }
      denied(**found);
    });
}

void oauth_callback(front_self self, const route_request& r) {
  const auto& ctx = *self->state.ctx;
  auto nonce = param(r.query, "state").value_or("");
  auto cookie = parse_attempt_cookie(
    cookie_value(header_value(r.in.request.headers, "Cookie"), cookie_name).value_or(""));
  auto code = param(r.query, "code");
  const auto& remote = r.in.request.remote;
  auto reply = r.in.reply;
  if (param(r.query, "error")) {
    return oauth_cancel(self, r, nonce, cookie);
  }
  if (!code || code->empty()) {
    return refuse(ctx, reply, remote, 400, "missing_code",
                  "Instagram did not send an authorization code. Please try again.");
  }
  if (nonce.empty()) {
    return refuse(ctx, reply, remote, 403, "state_missing", "This sign-in attempt is not valid.");
  }
  struct consumed {
    oauth_states::check check = oauth_states::check::unknown;
    oauth_state state;
  };
  auto out = std::make_shared<consumed>();
  auto now = ctx.now();
  auto the_code = *code;
  auto secret = cookie.secret;
  if (ctx.oauth_get) {
    // Cluster mode: checked first (a forged request with the wrong cookie
    // cannot burn the real one), then taken: of two callbacks with one
    // state, on any nodes, one proceeds.
    auto ctx_ptr = self->state.ctx;
    auto* sys = &self->home_system();
    auto registry = self->state.peers.registry;
    ctx.oauth_get(nonce, [=](std::optional<std::string> v, bool ok) {
      if (!ok) {
        return refuse_storage(*ctx_ptr, reply, remote);
      }
      auto s = v ? decode_oauth_state(*v) : std::nullopt;
      auto c = s ? oauth_states::verify(*s, secret, now) : oauth_states::check::unknown;
      if (c != oauth_states::check::ok) {
        return refuse_state(*ctx_ptr, reply, remote, c);
      }
      ctx_ptr->oauth_take(nonce, [=](std::optional<std::string> taken, bool ok) {
        if (!ok) {
          return refuse_storage(*ctx_ptr, reply, remote);
        }
        if (!taken) {
          return refuse_state(*ctx_ptr, reply, remote, oauth_states::check::unknown);
        }
        spawn_link_flow(*sys, ctx_ptr, registry, s->user, the_code, reply);
      });
    });
    return;
  }
  write_then(
    self, self->state.peers.writer, "oauth_consume",
    [nonce, secret, now, out](write_txn& txn, write_notes&) {
      *out = consumed{};
      out->check = oauth_states::consume(txn, nonce, secret, now, out->state);
    },
    [self, reply, remote, out, the_code](bool ok) {
      const auto& ctx = *self->state.ctx;
      if (!ok) {
        return refuse_storage(ctx, reply, remote);
      }
      if (out->check != oauth_states::check::ok) {
        return refuse_state(ctx, reply, remote, out->check);
      }
      spawn_link_flow(self, out->state.user, the_code, reply);
    });
}

} // namespace igbridge
