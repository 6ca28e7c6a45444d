// The user actor's part in a media re-read (DESIGN §9): Instagram's CDN
// URLs expire, and the media fetcher (media_fetch.cpp) asks for fresh ones
// when a download finds its URL expired or refused. Only this actor uses
// the user's token, so the fetcher asks here, through the registry, and
// this actor reads the post again on its usual HTTP path:
// `GET {graph_url}/{media-id}?fields=media_url,thumbnail_url,children{…}`.
// It calls nothing while the provider asked it (or the whole app) to hold.

#include "user/user.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "igbridge/clock.hpp"
#include "igbridge/log.hpp"

namespace igbridge {

namespace {

constexpr auto reread_http_timeout = std::chrono::seconds{30};

/// Unix time before which the provider should not hear from this user:
/// an app-wide hold, or this account's rate-limit backoff (a fetch that
/// failed rate_limited stays held until its next fetch).
int64_t hold_until(const user_actor_state& st) {
  // The app's hold and this account's (a rate limit's, or the usage
  // headers' advice), as fetch-now respects them.
  return std::max(st.ctx->throttle_until.load(), st.rec.held_until);
}

media_reread failure(std::string why) {
  media_reread r;
  r.error = std::move(why);
  return r;
}

} // namespace

void reread_media(user_self self, const std::string& media_id,
                  caf::typed_response_promise<media_reread> rp) {
  auto& st = self->state;
  if (st.ctx->dialect != dialect::graph) {
    rp.deliver(failure("the legacy API cannot read a post again"));
    return;
  }
  if (!st.stored || st.rec.state != user_state::active) {
    rp.deliver(failure("user not linked"));
    return;
  }
  auto token = plain_token(st);
  if (token.empty()) {
    rp.deliver(failure("token unusable"));
    return;
  }
  auto now = st.ctx->now();
  if (auto until = hold_until(st); until > now) {
    rp.deliver(failure("rate_limited: held until " + rfc3339(until)));
    return;
  }
  auto gen = st.link_gen;
  st.http.call(
    st.ctx->http, self_handle(self), media_node_request(st.ctx->cfg, token, media_id),
    reread_http_timeout, [self, rp, gen, media_id](http_response r) mutable {
      auto& st = self->state;
      if (gen != st.link_gen) {
        rp.deliver(failure("the user was linked again or unlinked meanwhile"));
        return;
      }
      if (auto err = classify(r)) {
        if (err.kind == provider_failure::rate_limited && err.scope == rate_scope::app) {
          // The app's quota: every user holds, as after a fetch that met it.
          st.ctx->throttle(st.ctx->now() + std::max<int64_t>(err.retry_after_s, 60));
        }
        log(log_level::warning, "media.reread_failed",
            {{"user", st.rec.user}, {"media_id", media_id}, {"error", err.message}});
        rp.deliver(failure(std::string(to_string(err.kind)) + ": " + err.message));
        return;
      }
      auto item = parse_media_node(r.body);
      if (!item) {
        rp.deliver(failure("malformed: the provider's answer has no media"));
        return;
      }
      media_reread ok;
      ok.urls = std::move(*item);
      rp.deliver(std::move(ok));
    });
}

} // namespace igbridge
