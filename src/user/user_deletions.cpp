// Deleted on Instagram (DESIGN §9): an import younger than import.recheck_s
// that a fetch's listing passed without showing is asked for by id
// (`GET /{media-id}`), and only Meta's answer for an object that does not
// exist (code 100) makes it media.deleted. A post the listing did not reach
// (merely on a page not fetched) is never a candidate; one that answers
// (archived, hidden) stays; any other error waits for the next fetch.

#include "user/user.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "igbridge/clock.hpp"
#include "igbridge/log.hpp"
#include "user/import_changes.hpp"

namespace igbridge {

namespace {

constexpr auto check_timeout = std::chrono::seconds{30};
/// Provider calls one fetch may spend on confirmations: a listing that
/// suddenly lacks many posts (a provider hiccup) costs little, and the
/// rest are asked after the next fetch.
constexpr std::size_t max_checks = 10;
/// Meta's "object does not exist" (with subcode 33) for a deleted post.
constexpr int object_missing = 100;

void confirmed_deleted(user_self self, const std::string& media_id) {
  auto now = self->state.ctx->now();
  submit(self, {[media_id, now](user_record& rec, write_txn& txn, write_notes& notes) {
                  queue_deleted(txn, notes, rec, media_id, now);
                  return true;
                },
                [self, media_id](bool ok, const std::string&) {
                  auto& st = self->state;
                  if (!ok) {
                    return; // the next fetch asks again
                  }
                  st.ctx->stats.inc("igbridge_media_total", {{"result", "deleted"}});
                  log(log_level::notice, "media.deleted",
                      {{"user", st.rec.user}, {"media_id", media_id}});
                },
                "media_deleted"});
}

} // namespace

void check_missing(user_self self) {
  auto& st = self->state;
  std::vector<std::string> missing;
  for (const auto& [id, taken_at] : st.young_imports) {
    bool passed = st.listed_to_end || (st.oldest_listed != 0 && taken_at > st.oldest_listed);
    if (passed && st.listed.count(id) == 0) {
      missing.push_back(id);
    }
  }
  st.young_imports.clear();
  st.listed.clear();
  if (missing.empty() || st.ctx->dialect != dialect::graph) {
    return; // the legacy API has no object lookup to confirm with
  }
  auto token = plain_token(st);
  auto now = st.ctx->now();
  if (token.empty() || std::max(st.ctx->throttle_until.load(), st.rec.held_until) > now) {
    return;
  }
  if (missing.size() > max_checks) {
    missing.resize(max_checks);
  }
  auto gen = st.link_gen;
  for (const auto& id : missing) {
    st.http.call(st.ctx->http, self_handle(self), media_node_request(st.ctx->cfg, token, id),
                 check_timeout, [self, gen, id](http_response r) {
                   auto& st = self->state;
                   if (gen != st.link_gen) {
                     return;
                   }
                   auto err = classify(r);
                   if (err && err.code == object_missing
                       && err.kind != provider_failure::token_invalid) {
                     confirmed_deleted(self, id);
                   } else if (err) {
                     log(log_level::info, "media.check_failed",
                         {{"user", st.rec.user}, {"media_id", id}, {"error", err.message}});
                   }
                   maybe_idle(self);
                 });
  }
}

} // namespace igbridge
