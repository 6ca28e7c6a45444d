// Account linking, first half: the signed connect link becomes a single-use
// OAuth state bound to a cookie; the callback checks both before any code
// is exchanged.

#include <caf/all.hpp>

#include "front.hpp"
#include "igbridge/clock.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/link.hpp"
#include "igbridge/log.hpp"
#include "igbridge/metrics.hpp"
#include "igbridge/records.hpp"
#include "responses.hpp"

namespace igbridge {

namespace {

constexpr const char* cookie_name = "igb_oauth";
constexpr int64_t state_ttl_s = 600;

std::string state_cookie(const context& ctx, const std::string& value, int64_t max_age) {
  std::string c = std::string(cookie_name) + "=" + value
                  + "; Path=/oauth/instagram; HttpOnly; SameSite=Lax; Max-Age="
                  + std::to_string(max_age);
  if (ctx.cfg.server.public_url.rfind("https://", 0) == 0) {
    c += "; Secure";
  }
  return c;
}

void count_link(front_self self, const char* outcome) {
  if (self->state.ctx->stats) {
    self->state.ctx->stats->inc("igbridge_link_attempts_total", {{"outcome", outcome}});
  }
}

void refuse(front_self self, const route_request& r, int status, const char* outcome,
            const std::string& text) {
  count_link(self, outcome);
  log(log_level::notice, "oauth.refused", {{"reason", outcome}, {"remote", r.in.request.remote}});
  r.in.reply->respond(html_page(status, "Instagram connection failed", text));
}

enum class state_check { ok, unknown, expired, cookie_mismatch };

/// Consumes the state when it is valid: it can be used once only. A cookie
/// mismatch leaves it in place, so a forged request cannot burn the real one.
state_check consume_state(const context& ctx, const std::string& state, const std::string& cookie,
                          oauth_state& out) {
  auto txn = ctx.db->write();
  auto v = txn.get(db::oauth_state, state);
  if (!v) {
    return state_check::unknown;
  }
  auto s = decode_oauth_state(*v);
  if (!s || s->expires_at <= ctx.now()) {
    txn.del(db::oauth_state, state);
    txn.commit();
    return state_check::expired;
  }
  if (cookie.empty() || !constant_time_equal(cookie, s->cookie)) {
    return state_check::cookie_mismatch;
  }
  txn.del(db::oauth_state, state);
  txn.commit();
  out = *s;
  return state_check::ok;
}

/// Expired states of abandoned flows would pile up; sweep a few per start.
void sweep_states(write_txn& txn, int64_t now) {
  std::vector<std::string> stale;
  txn.scan(db::oauth_state, "", [&](std::string_view k, std::string_view v) {
    auto s = decode_oauth_state(v);
    if (!s || s->expires_at <= now) {
      stale.emplace_back(k);
    }
    return stale.size() < 64;
  });
  for (auto& k : stale) {
    txn.del(db::oauth_state, k);
  }
}

} // namespace

void oauth_start(front_self self, const route_request& r) {
  const auto& ctx = *self->state.ctx;
  auto user = param(r.query, "user").value_or("");
  auto exp = param(r.query, "exp").value_or("");
  auto sig = param(r.query, "sig").value_or("");
  auto now = ctx.now();
  switch (verify_link(ctx.cfg.link.secret, user, exp, sig, now)) {
    case link_check::ok:
      break;
    case link_check::expired:
      return refuse(self, r, 403, "link_expired",
                    "This connect link has expired. Go back to the app and try again.");
    case link_check::bad_signature:
    case link_check::malformed:
      return refuse(self, r, 403, "link_invalid",
                    "This connect link is not valid. Go back to the app and try again.");
  }
  oauth_state s;
  s.user = user;
  s.expires_at = now + state_ttl_s;
  s.cookie = random_token();
  auto state = random_token();
  {
    auto txn = ctx.db->write();
    sweep_states(txn, now);
    txn.put(db::oauth_state, state, encode(s));
    txn.commit();
  }
  auto res = redirect(authorize_url(ctx.cfg, ctx.redirect_uri, state));
  res.headers.emplace_back("Set-Cookie", state_cookie(ctx, s.cookie, state_ttl_s));
  count_link(self, "started");
  log(log_level::info, "oauth.start", {{"user", user}});
  r.in.reply->respond(std::move(res));
}

void oauth_callback(front_self self, const route_request& r) {
  const auto& ctx = *self->state.ctx;
  auto state = param(r.query, "state").value_or("");
  auto cookie = cookie_value(header_value(r.in.request.headers, "Cookie"), cookie_name)
                  .value_or("");
  auto provider_error = param(r.query, "error");
  auto code = param(r.query, "code");
  if (!provider_error && (!code || code->empty())) {
    return refuse(self, r, 400, "missing_code",
                  "Instagram did not send an authorization code. Please try again.");
  }
  if (state.empty()) {
    return refuse(self, r, 403, "state_missing", "This sign-in attempt is not valid.");
  }
  oauth_state s;
  switch (consume_state(ctx, state, cookie, s)) {
    case state_check::ok:
      break;
    case state_check::unknown:
      return refuse(self, r, 403, "state_unknown",
                    "This sign-in attempt is not valid or was already used.");
    case state_check::expired:
      return refuse(self, r, 403, "state_expired",
                    "This sign-in attempt took too long. Please start again.");
    case state_check::cookie_mismatch:
      return refuse(self, r, 403, "cookie_mismatch",
                    "This sign-in attempt was started in another browser.");
  }
  if (provider_error) {
    count_link(self, "denied");
    log(log_level::notice, "oauth.denied", {{"user", s.user}});
    auto res = redirect(with_query(ctx.cfg.link.success_url, "instagram=error&reason=denied"));
    res.headers.emplace_back("Set-Cookie", state_cookie(ctx, "", 0));
    return r.in.reply->respond(std::move(res));
  }
  spawn_link_flow(self, s.user, *code, r.in.reply);
}

} // namespace igbridge
