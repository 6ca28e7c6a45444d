// The fetch loop of a user actor: ask the provider for recent media page by
// page, mark new ids seen and queue tagged ones in one transaction per page,
// then schedule the next fetch from the poll tier or a pending hint.

#include <algorithm>
#include <random>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "igbridge/clock.hpp"
#include "igbridge/hashtags.hpp"
#include "igbridge/log.hpp"
#include "igbridge/messages.hpp"
#include "igbridge/metrics.hpp"
#include "igbridge/schedule.hpp"
#include "igbridge/urls.hpp"
#include "outbox_writer.hpp"
#include "user.hpp"

namespace igbridge {

namespace {

/// Enough pages to catch up after a long outage, bounded so that a provider
/// that pages forever cannot keep a fetch alive forever.
constexpr int max_pages = 200;
constexpr auto fetch_timeout = std::chrono::seconds{30};

double unit_random() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

void count(user_state& st, std::string_view name, const metric_labels& labels, double by = 1) {
  if (st.ctx->stats) {
    st.ctx->stats->inc(name, labels, by);
  }
}

// -- resume cursors -------------------------------------------------------------
//
// Paging stops at the first known post. A run of pages cut short after some
// of its pages committed (kill -9, a provider failure on page 3, the page
// bound) would leave its older posts behind that known post for ever; so each
// page that means to go on stores the cursor of its next page, in the same
// transaction as its seen ids, and a later fetch, once the newest posts are
// caught up, follows the stored cursors until they too reach known posts.
// Stored without the access token: tokens are only kept (sealed) in the user
// record.

constexpr std::size_t max_resume = 50;

std::string resume_key(const std::string& user) {
  std::string k = "fetch_resume";
  k.push_back('\0');
  return k + user;
}

/// Cursors of this user's unfinished page runs, oldest first; runs of
/// another Instagram account (before a re-link) are ignored.
std::vector<std::string> load_resume(const read_txn& txn, const user_record& rec) {
  std::vector<std::string> out;
  auto v = txn.get(db::meta, resume_key(rec.user));
  if (!v) {
    return out;
  }
  auto j = nlohmann::json::parse(*v, nullptr, false);
  if (!j.is_object() || j.value("ig", std::string{}) != rec.instagram_user_id) {
    return out;
  }
  if (auto it = j.find("urls"); it != j.end() && it->is_array()) {
    for (const auto& u : *it) {
      if (u.is_string()) {
        out.push_back(u.get<std::string>());
      }
    }
  }
  return out;
}

void save_resume(write_txn& txn, const user_record& rec, std::vector<std::string> urls) {
  if (urls.size() > max_resume) {
    urls.erase(urls.begin(), urls.end() - static_cast<std::ptrdiff_t>(max_resume));
  }
  auto key = resume_key(rec.user);
  if (urls.empty()) {
    txn.del(db::meta, key);
    return;
  }
  nlohmann::json j{{"ig", rec.instagram_user_id}, {"urls", urls}};
  txn.put(db::meta, key, j.dump());
}

/// The provider's next-page URL without its access_token parameter.
std::string without_token(const std::string& url) {
  auto q = url.find('?');
  if (q == std::string::npos) {
    return url;
  }
  params kept;
  for (auto& kv : parse_query(std::string_view(url).substr(q + 1))) {
    if (kv.first != "access_token") {
      kept.push_back(std::move(kv));
    }
  }
  auto base = url.substr(0, q);
  return kept.empty() ? base : base + "?" + build_query(kept);
}

std::string with_token(const std::string& url, const std::string& token) {
  return url + (url.find('?') == std::string::npos ? "?" : "&")
         + build_query({{"access_token", token}});
}

void on_page(user_self self, uint64_t link_gen, const std::string& chain, http_response resp);

/// `chain`: the stored cursor this page continues ("" for the run that
/// started at the newest posts and has stored nothing yet).
void request_page(user_self self, http_request req, std::string chain = {}) {
  auto& st = self->state;
  auto gen = st.link_gen;
  st.http.call(*st.ctx->http, self_handle(self), std::move(req), fetch_timeout,
               [self, gen, chain = std::move(chain)](http_response r) {
                 on_page(self, gen, chain, std::move(r));
               });
}

void finish_fetch(user_self self) {
  auto& st = self->state;
  auto now = st.ctx->now();
  st.fetching = false;
  st.rec.initial_fetch_done = true;
  st.rec.last_fetch_at = now;
  st.rec.fetch_failures = 0;
  st.rec.last_error.clear();
  prune_recent(st.rec.recent_imports, now);
  const auto& tiers = st.ctx->cfg.import.poll_tiers_s;
  st.rec.poll_tier = poll_tier(st.rec.recent_imports.size(), tiers.size());
  int64_t next = st.ctx->cfg.import.poll
                   ? now + with_jitter(tiers[static_cast<std::size_t>(st.rec.poll_tier)],
                                       unit_random())
                   : 0;
  {
    auto txn = st.ctx->db->write();
    if (auto v = txn.get(db::hints, st.rec.user)) {
      auto h = decode_hint(*v);
      if (!h || h->received_at < st.fetch_started_at) {
        // Every hint so far arrived before this fetch began: it saw them.
        txn.del(db::hints, st.rec.user);
      } else {
        // Some hints came during the fetch. Those before it are covered, so
        // the earliest still owed is due no sooner than start + delay; keep
        // an old, covered due time and a burst of hints loops forever.
        h->due_at = std::max(h->due_at,
                             st.fetch_started_at + st.ctx->cfg.import.webhook_delay_s);
        txn.put(db::hints, st.rec.user, encode(*h));
        next = next == 0 ? h->due_at : std::min(next, h->due_at);
      }
    }
    st.rec.next_fetch_at = next;
    txn.put(db::users, st.rec.user, encode(st.rec));
    txn.commit();
  }
  count(st, "igbridge_fetches_total", {{"outcome", "ok"}});
  if (st.ctx->stats) {
    st.ctx->stats->observe(
      "igbridge_fetch_duration_seconds", {},
      std::chrono::duration<double>(std::chrono::steady_clock::now() - st.fetch_started_clock)
        .count());
  }
  log(log_level::info, "fetch.done",
      {{"user", st.rec.user}, {"pages", std::to_string(st.pages)},
       {"imported", std::to_string(st.imported_now)}, {"next_fetch_at", rfc3339(next)}});
  arm_fetch(self, next);
  if (st.fetch_again) {
    st.fetch_again = false;
    start_fetch(self);
  }
}

void fail_fetch(user_self self, const provider_error& err, const std::string& chain = {}) {
  auto& st = self->state;
  auto now = st.ctx->now();
  st.fetching = false;
  st.fetch_again = false;
  count(st, "igbridge_fetches_total", {{"outcome", to_string(err.kind)}});
  if (err.kind == provider_failure::token_invalid) {
    require_reauth(self, "token_invalid: " + err.message);
    return;
  }
  if (!chain.empty() && err.kind == provider_failure::denied) {
    // The provider refuses this stored cursor (expired, another account's):
    // retrying it would fail every fetch from now on.
    auto txn = st.ctx->db->write();
    auto urls = load_resume(txn, st.rec);
    urls.erase(std::remove(urls.begin(), urls.end(), chain), urls.end());
    save_resume(txn, st.rec, std::move(urls));
    txn.commit();
    log(log_level::warning, "fetch.resume_dropped",
        {{"user", st.rec.user}, {"error", err.message}});
  }
  ++st.rec.fetch_failures;
  st.rec.last_error = std::string(to_string(err.kind)) + ": " + err.message;
  auto delay = fetch_backoff_s(st.rec.fetch_failures, err.retry_after_s);
  if (err.kind == provider_failure::rate_limited) {
    // The limit is the app's, not the user's: hold every user's fetches.
    auto until = now + std::max<int64_t>(err.retry_after_s, 60);
    auto cur = st.ctx->throttle_until.load();
    while (cur < until && !st.ctx->throttle_until.compare_exchange_weak(cur, until)) {
      // retry
    }
  }
  auto next = now + delay;
  st.rec.next_fetch_at = next;
  save_user(self);
  log(log_level::warning, "fetch.failed",
      {{"user", st.rec.user}, {"kind", to_string(err.kind)}, {"error", err.message},
       {"failures", std::to_string(st.rec.fetch_failures)}, {"retry_in_s", std::to_string(delay)}});
  arm_fetch(self, next);
}

void on_page(user_self self, uint64_t link_gen, const std::string& chain, http_response resp) {
  auto& st = self->state;
  log(log_level::debug, "fetch.page",
      {{"user", st.rec.user}, {"status", std::to_string(resp.status)},
       {"fetching", st.fetching ? "true" : "false"},
       {"stale", link_gen != st.link_gen ? "true" : "false"}});
  if (link_gen != st.link_gen || !st.fetching) {
    return; // the user was unlinked or re-linked meanwhile
  }
  auto err = classify(resp);
  if (err) {
    return fail_fetch(self, err, chain);
  }
  auto page = parse_media_page(st.ctx->dialect, resp.body);
  if (!page) {
    provider_error malformed;
    malformed.kind = provider_failure::malformed;
    malformed.message = "media page unreadable";
    return fail_fetch(self, malformed, chain);
  }
  auto now = st.ctx->now();
  const auto& imp = st.ctx->cfg.import;
  int budget = st.initial ? imp.initial_count : 0;
  bool all_new = true;
  int imported = 0;
  std::vector<int64_t> import_times;
  auto txn = st.ctx->db->write();
  for (const auto& item : page->items) {
    if (budget > 0 && st.processed >= budget) {
      all_new = false; // the initial fetch stops at its budget
      break;
    }
    ++st.processed;
    auto key = seen_key(st.rec.user, item.id);
    if (txn.get(db::seen, key)) {
      all_new = false;
      count(st, "igbridge_media_total", {{"result", "duplicate"}});
      continue;
    }
    auto verdict = judge_tags(item.tags, imp.tags, imp.block);
    const char* mark = verdict == tag_verdict::import    ? "imported"
                       : verdict == tag_verdict::blocked ? "blocked"
                                                         : "untagged";
    // Marked seen whatever the verdict, so paging stops at known posts; the
    // import itself commits in this same transaction.
    txn.put(db::seen, key, std::to_string(now) + " " + mark);
    count(st, "igbridge_media_total", {{"result", mark}});
    if (verdict != tag_verdict::import) {
      continue;
    }
    outbox_entry e;
    e.type = "media.imported";
    e.id = "instagram:" + item.id;
    e.user = st.rec.user;
    e.created_at = now;
    e.next_attempt_at = now;
    e.data = import_record(st.rec.user, st.rec.instagram_user_id, item, now).dump();
    append_outbox(txn, e);
    ++imported;
    import_times.push_back(now);
  }
  auto rec = st.rec;
  rec.imported += static_cast<uint64_t>(imported);
  rec.recent_imports.insert(rec.recent_imports.end(), import_times.begin(), import_times.end());
  txn.put(db::users, rec.user, encode(rec));
  // Where paging goes on, stored with this page: see "resume cursors".
  bool go_on = all_new && !page->next_url.empty() && (budget == 0 || st.processed < budget);
  std::string next_chain;
  std::string follow;
  if (go_on || !chain.empty() || !st.initial) {
    auto urls = load_resume(txn, rec);
    auto mine = std::find(urls.begin(), urls.end(), chain);
    if (!chain.empty() && mine != urls.end()) {
      urls.erase(mine);
    }
    if (go_on) {
      next_chain = without_token(page->next_url);
      urls.push_back(next_chain);
      follow = page->next_url;
    } else if (!st.initial && !urls.empty()) {
      // This run reached known posts: finish an older, interrupted one.
      next_chain = urls.back();
      follow = with_token(next_chain, plain_token(st));
    }
    save_resume(txn, rec, std::move(urls));
  }
  txn.commit();
  st.rec = std::move(rec);
  st.imported_now += imported;
  ++st.pages;
  if (imported > 0) {
    caf::anon_send(st.delivery, kick_atom::value);
    log(log_level::info, "media.imported",
        {{"user", st.rec.user}, {"count", std::to_string(imported)}});
  }
  if (!follow.empty() && st.pages < max_pages) {
    request_page(self, next_page_request(follow), std::move(next_chain));
  } else {
    finish_fetch(self);
  }
}

} // namespace

void forget_fetch_resume(write_txn& txn, const std::string& user) {
  txn.del(db::meta, resume_key(user));
}

void start_fetch(user_self self) {
  auto& st = self->state;
  if (st.fetching) {
    st.fetch_again = true;
    return;
  }
  if (st.rec.state != "active") {
    return;
  }
  auto now = st.ctx->now();
  auto throttle = st.ctx->throttle_until.load();
  if (throttle > now) {
    // Spread the held fetches over a minute after the limit lifts.
    arm_fetch(self, throttle + static_cast<int64_t>(unit_random() * 60));
    return;
  }
  auto token = plain_token(st);
  if (token.empty()) {
    require_reauth(self, "token unreadable (storage key changed?)");
    return;
  }
  st.fetching = true;
  st.fetch_started_at = now;
  st.fetch_started_clock = std::chrono::steady_clock::now();
  st.initial = !st.rec.initial_fetch_done;
  st.processed = 0;
  st.pages = 0;
  st.imported_now = 0;
  if (st.initial) {
    // A new account starts afresh: no run of an earlier link goes on.
    auto txn = st.ctx->db->write();
    save_resume(txn, st.rec, {});
    txn.commit();
  }
  const auto& imp = st.ctx->cfg.import;
  int n = st.initial ? imp.initial_count : imp.update_count;
  request_page(self, media_request(st.ctx->cfg, token, st.rec.instagram_user_id, n));
}

} // namespace igbridge
