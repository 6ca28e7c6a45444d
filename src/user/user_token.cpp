// Graph tokens live about 60 days; the user actor refreshes them well
// before they lapse, but never before they are 24 h old (the API refuses).
// A refresh that keeps failing is retried ever sooner as the end nears;
// once the token has expired the user must link again.

#include <caf/all.hpp>

#include "igbridge/clock.hpp"
#include "igbridge/log.hpp"
#include "igbridge/schedule.hpp"
#include "user/user.hpp"

namespace igbridge {

namespace {

constexpr int64_t retry_s = 3600;

void refresh_failed(user_self self, const std::string& why) {
  auto& st = self->state;
  auto now = st.ctx->now();
  st.ctx->stats.inc("igbridge_token_refreshes_total", {{"outcome", "failed"}});
  log(log_level::warning, "token.refresh_failed", {{"user", st.rec.user}, {"error", why}});
  auto expires = st.rec.token_expires_at;
  if (expires != 0 && now >= expires) {
    require_reauth(self, "token expired; refresh failed: " + why, "refresh_failed");
    return;
  }
  // Sooner as the end nears, so the last tries fall before it, not after.
  auto next = now + (expires == 0 ? retry_s : std::clamp<int64_t>(expires - now, 1, retry_s));
  submit(self, {[next](user_record& rec, write_txn&, write_notes&) {
                  ++rec.refresh_failures;
                  rec.refresh_at = next;
                  return true;
                },
                [self](bool ok, const std::string&) {
                  if (!ok) {
                    retry_later(self);
                  }
                },
                "refresh_failed"});
}

} // namespace

void refresh_token(user_self self) {
  auto& st = self->state;
  if (st.refreshing || st.rec.state != user_state::active) {
    return;
  }
  auto now = st.ctx->now();
  if (st.rec.token_issued_at + 86400 > now) {
    // Never ask for a refresh the API refuses: the plan was off.
    auto due = token_refresh_due(st.rec.token_issued_at, st.rec.token_expires_at);
    submit(self, {[due](user_record& rec, write_txn&, write_notes&) {
                    rec.refresh_at = due;
                    return true;
                  },
                  {}, "refresh_plan"});
    return;
  }
  st.refreshing = true;
  auto gen = st.link_gen;
  st.http.call(st.ctx->http, self_handle(self), refresh_request(st.ctx->cfg, plain_token(st)),
               std::chrono::seconds{30}, [self, gen](http_response r) {
                 auto& st = self->state;
                 if (gen != st.link_gen) {
                   return;
                 }
                 st.refreshing = false;
                 auto err = classify(r);
                 if (err.kind == provider_failure::token_invalid) {
                   require_reauth(self, "token_invalid: " + err.message, "token_invalid");
                   return;
                 }
                 std::optional<token_grant> g;
                 if (!err) {
                   g = parse_long_lived(r.body);
                 }
                 if (!g || g->access_token.empty()) {
                   refresh_failed(self, err ? err.message : std::string("unreadable answer"));
                   return;
                 }
                 auto now = st.ctx->now();
                 auto sealed = stored_token(st, g->access_token);
                 auto expires = g->expires_in > 0 ? now + g->expires_in : 0;
                 submit(self, {[sealed, now, expires](user_record& rec, write_txn&, write_notes&) {
                                 rec.token = sealed;
                                 rec.token_issued_at = now;
                                 rec.token_expires_at = expires;
                                 rec.refresh_failures = 0;
                                 rec.refresh_at = token_refresh_due(now, expires);
                                 return true;
                               },
                               [self](bool ok, const std::string&) {
                                 auto& st = self->state;
                                 if (!ok) {
                                   retry_later(self);
                                   return;
                                 }
                                 st.ctx->stats.inc("igbridge_token_refreshes_total",
                                                   {{"outcome", "ok"}});
                                 log(log_level::info, "token.refreshed",
                                     {{"user", st.rec.user},
                                      {"expires_at", rfc3339(st.rec.token_expires_at)}});
                               },
                               "refresh"});
               });
}

} // namespace igbridge
