// Graph tokens live about 60 days; the user actor refreshes them well
// before they lapse, but never before they are 24 h old (the API refuses).

#include <caf/all.hpp>

#include "igbridge/clock.hpp"
#include "igbridge/log.hpp"
#include "igbridge/messages.hpp"
#include "igbridge/schedule.hpp"
#include "user.hpp"

namespace igbridge {

namespace {
constexpr int64_t retry_s = 3600;

void arm_refresh_at(user_self self, int64_t due) {
  auto& st = self->state;
  ++st.refresh_gen;
  auto delay = std::max<int64_t>(0, due - st.ctx->now());
  self->delayed_send(self, std::chrono::seconds(delay), refresh_atom::value, st.refresh_gen);
}
} // namespace

void arm_refresh(user_self self) {
  auto& st = self->state;
  if (st.ctx->dialect != dialect::graph || st.rec.state != "active"
      || st.rec.token_expires_at == 0) {
    return;
  }
  arm_refresh_at(self, token_refresh_due(st.rec.token_issued_at, st.rec.token_expires_at));
}

void refresh_token(user_self self) {
  auto& st = self->state;
  if (st.rec.state != "active") {
    return;
  }
  auto token = plain_token(st);
  auto gen = st.link_gen;
  st.http.call(*st.ctx->http, self_handle(self), refresh_request(st.ctx->cfg, token),
               std::chrono::seconds{30}, [self, gen](http_response r) {
                 auto& st = self->state;
                 if (gen != st.link_gen) {
                   return;
                 }
                 auto err = classify(r);
                 std::optional<token_grant> g;
                 if (!err) {
                   g = parse_long_lived(r.body);
                 }
                 if (err.kind == provider_failure::token_invalid) {
                   require_reauth(self, "token_invalid: " + err.message);
                   return;
                 }
                 if (!g || g->access_token.empty()) {
                   log(log_level::warning, "token.refresh_failed",
                       {{"user", st.rec.user},
                        {"error", err ? err.message : std::string("unreadable answer")}});
                   arm_refresh_at(self, st.ctx->now() + retry_s);
                   return;
                 }
                 auto now = st.ctx->now();
                 st.rec.token = stored_token(st, g->access_token);
                 st.rec.token_issued_at = now;
                 st.rec.token_expires_at = g->expires_in > 0 ? now + g->expires_in : 0;
                 save_user(self);
                 log(log_level::info, "token.refreshed",
                     {{"user", st.rec.user}, {"expires_at", rfc3339(st.rec.token_expires_at)}});
                 arm_refresh(self);
               });
}

} // namespace igbridge
