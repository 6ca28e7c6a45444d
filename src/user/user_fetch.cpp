// The fetch loop of a user actor: ask the provider for recent media page by
// page, decide per post (fetch_plan.cpp), and apply each page in one
// transaction (seen marks, imports into the outbox, cursors). When the
// fetch ends, the next one is planned from the poll tier and the mailbox:
// hints due by the time the fetch started are discharged, later ones stay.
//
// The pipeline: the next page is asked for as soon as a page is planned, not
// when its transaction commits, so fetching overlaps committing, and pages
// that arrive while a commit runs share the next one (user_writes.cpp). A
// page is planned from what was committed when it arrived; its transaction
// checks the seen set again, so a post that two pages both carry (new posts
// shift the pages while paging) is taken once.

#include <algorithm>
#include <memory>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "user/fetch_plan.hpp"
#include "igbridge/clock.hpp"
#include "igbridge/log.hpp"
#include "igbridge/schedule.hpp"
#include "igbridge/store/dashboard.hpp"
#include "igbridge/store/imports.hpp"
#include "igbridge/store/inbox.hpp"
#include "igbridge/store/outbox.hpp"
#include "igbridge/store/resume.hpp"
#include "igbridge/store/seen.hpp"
#include "igbridge/urls.hpp"
#include "user/import_changes.hpp"
#include "user/user.hpp"

namespace igbridge {

namespace {

/// Enough pages to catch up after a long outage, bounded so that a provider
/// that pages forever cannot keep a fetch alive forever.
constexpr int max_pages = 200;
constexpr auto fetch_timeout = std::chrono::seconds{30};
/// Pages fetched ahead of their commit: enough to keep the provider and the
/// disk busy at once, few enough that a failing disk wastes little.
constexpr int max_uncommitted = 8;

// -- resume cursors ---------------------------------------------------------------
//
// Paging stops at the first known post. A run of pages cut short after some
// of its pages committed (kill -9, a provider failure on page 3, the page
// bound) would leave its older posts behind that known post for ever; so each
// page that means to go on stores the cursor of its next page, in the same
// transaction as its seen ids, and a later fetch, once the newest posts are
// caught up, follows the stored cursors until they too reach known posts.
// Stored without the access token: tokens are only kept (sealed) in the user
// record.

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

/// The origin next-page URLs must stay on: they carry the token.
const std::string& provider_base(const context& ctx) {
  return ctx.dialect == dialect::legacy ? ctx.cfg.instagram.api_url : ctx.cfg.instagram.graph_url;
}

// -- the loop ---------------------------------------------------------------------------

/// One page request of a fetch, kept for its quick retries.
struct page_ask {
  http_request request;
  /// The stored cursor this page continues ("" for the run that started
  /// at the newest posts and has stored nothing yet).
  std::string chain;
  int attempt = 0; // quick retries made so far
};

void on_page(user_self self, uint64_t link_gen, uint64_t fetch_gen, page_ask ask,
             http_response resp);

void request_page(user_self self, page_ask ask) {
  auto& st = self->state;
  auto gen = st.link_gen;
  auto fgen = st.fetch_gen;
  auto req = ask.request;
  st.http.call(st.ctx->http, self_handle(self), std::move(req), fetch_timeout,
               [self, gen, fgen, ask = std::move(ask)](http_response r) mutable {
                 on_page(self, gen, fgen, std::move(ask), std::move(r));
               });
}

void request_page(user_self self, http_request req, std::string chain = {}) {
  request_page(self, page_ask{std::move(req), std::move(chain), 0});
}

/// A transient error (DESIGN §9): the same page again after about 1, 2 and
/// 4 s, inside this fetch, before the fetch fails into its backoff.
void schedule_page_retry(user_self self, page_ask ask, const provider_error& err) {
  auto& st = self->state;
  ++ask.attempt;
  auto wait = std::chrono::milliseconds(transient_retry_ms(ask.attempt, unit_random()));
  log(log_level::notice, "fetch.transient_retry",
      {{"user", st.rec.user}, {"kind", to_string(err.kind)}, {"error", err.message},
       {"attempt", std::to_string(ask.attempt)}, {"in_ms", std::to_string(wait.count())}});
  st.ctx->stats.inc("igbridge_fetches_total", {{"outcome", "transient"}});
  st.retry = std::make_unique<user_actor_state::page_retry>(
    user_actor_state::page_retry{std::move(ask.request), std::move(ask.chain), ask.attempt});
  self->delayed_send(self, wait, again_atom::value, st.fetch_gen);
}

bool is_fetch_write(const user_write& w) {
  return w.of_fetch;
}

bool fetch_writes_pending(const user_actor_state& st) {
  return std::any_of(st.writes.begin(), st.writes.end(), is_fetch_write);
}

/// A fetch asked for while the last one's pages were still committing
/// starts once they have (see start_fetch).
void start_deferred_fetch(user_self self) {
  auto& st = self->state;
  if (!st.fetching && st.fetch_again && !fetch_writes_pending(st)) {
    st.fetch_again = false;
    start_fetch(self);
  }
}

} // namespace

namespace {

void finish_fetch(user_self self, int64_t account_hold) {
  auto& st = self->state;
  auto now = st.ctx->now();
  auto started = st.fetch_started_at;
  const auto& imp = st.ctx->cfg.import;
  auto delay = imp.webhook_delay_s;
  auto jitter = unit_random();
  submit(self, {[now, started, account_hold, delay, jitter, &imp](user_record& rec, write_txn& txn,
                                                                  write_notes& notes) {
                  rec.initial_fetch_done = true;
                  rec.last_fetch_at = now;
                  rec.fetch_failures = 0;
                  rec.last_error.clear();
                  prune_recent(rec.recent_imports, now);
                  rec.poll_tier = poll_tier(rec.recent_imports.size(), imp.poll_tiers_s.size());
                  int64_t next = imp.poll ? now + with_jitter(imp.poll_tiers_s[static_cast<std::size_t>(
                                                                rec.poll_tier)],
                                                              jitter)
                                          : 0;
                  if (account_hold > now) {
                    next = std::max(next, account_hold);
                    rec.held_until = account_hold;
                  }
                  rec.next_fetch_at = next;
                  // The mailbox: hints due by the start are discharged.
                  inbox::discharge(txn, notes, rec.user, started, delay, account_hold);
                  // Done with this wake-up: the scheduler frees its slot.
                  notes.wake(rec.user, 0);
                  return true;
                },
                [self](bool ok, const std::string& error) {
                  auto& st = self->state;
                  st.fetching = false;
                  if (!ok) {
                    st.fetch_owed = true;
                    retry_later(self);
                    return;
                  }
                  st.ctx->stats.inc("igbridge_fetches_total", {{"outcome", "ok"}});
                  st.ctx->stats.observe("igbridge_fetch_duration_seconds", {},
                                        std::chrono::duration<double>(
                                          std::chrono::steady_clock::now() - st.fetch_started_clock)
                                          .count());
                  log(log_level::info, "fetch.done",
                      {{"user", st.rec.user}, {"pages", std::to_string(st.pages)},
                       {"imported", std::to_string(st.imported_now)},
                       {"next_fetch_at", rfc3339(st.rec.next_fetch_at)}});
                  check_missing(self);
                  if (st.fetch_again) {
                    st.fetch_again = false;
                    start_fetch(self);
                  }
                },
                "fetch_done", true});
}

void fail_fetch(user_self self, const provider_error& err, const std::string& chain = {}) {
  auto& st = self->state;
  auto now = st.ctx->now();
  st.fetching = false;
  st.fetch_again = false;
  const char* outcome = to_string(err.kind);
  st.ctx->stats.inc("igbridge_fetches_total", {{"outcome", outcome}});
  if (err.kind == provider_failure::token_invalid) {
    require_reauth(self, "token_invalid: " + err.message, "token_invalid");
    return;
  }
  if (err.kind == provider_failure::permission) {
    require_reauth(self, "permission: " + err.message, "permission");
    return;
  }
  int64_t delay = 0;
  bool account_hold = false;
  if (err.kind == provider_failure::rate_limited) {
    // Meta's estimate when it gives one; else 60 s doubling to an hour: the
    // limit is counted over a rolling 24 h, so a retry every minute only
    // keeps the account over it.
    delay = err.retry_after_s > 0 ? err.retry_after_s
                                  : rate_limit_backoff_s(st.rec.fetch_failures + 1, unit_random());
    account_hold = err.scope == rate_scope::account;
    if (err.scope == rate_scope::app) {
      // The app's quota: every user holds (the scheduler wakes nobody).
      st.ctx->throttle(now + delay);
      st.ctx->stats.inc("igbridge_provider_rate_limits_total", {{"scope", "app"}});
    } else {
      st.ctx->stats.inc("igbridge_provider_rate_limits_total", {{"scope", "account"}});
    }
  } else {
    delay = fetch_backoff_s(st.rec.fetch_failures + 1, err.retry_after_s);
  }
  auto next = now + delay;
  bool drop_chain = !chain.empty() && err.kind == provider_failure::denied;
  auto resume = drop_chain ? st.resume : std::vector<std::string>{};
  if (drop_chain) {
    // The provider refuses this stored cursor (expired, another account's):
    // retrying it would fail every fetch from now on.
    resume.erase(std::remove(resume.begin(), resume.end(), chain), resume.end());
  }
  auto message = std::string(outcome) + ": " + err.message;
  auto hint_delay = st.ctx->cfg.import.webhook_delay_s;
  submit(self, {[next, message, drop_chain, resume, hint_delay,
                 account_hold](user_record& rec, write_txn& txn, write_notes& notes) {
                  ++rec.fetch_failures;
                  rec.last_error = message;
                  rec.next_fetch_at = next;
                  if (account_hold) {
                    rec.held_until = next; // fetch-now waits for it too
                  }
                  inbox::defer(txn, notes, rec.user, next, hint_delay);
                  if (drop_chain) {
                    resume::save(txn, rec, resume);
                  }
                  notes.wake(rec.user, next); // done with this wake-up
                  return true;
                },
                [self](bool ok, const std::string&) {
                  if (!ok) {
                    self->state.fetch_owed = true;
                    retry_later(self);
                    return;
                  }
                  start_deferred_fetch(self);
                },
                "fetch_failed", true});
  log(log_level::warning, "fetch.failed",
      {{"user", st.rec.user}, {"kind", outcome}, {"error", err.message},
       {"failures", std::to_string(st.rec.fetch_failures + 1)},
       {"retry_in_s", std::to_string(delay)}});
}

/// A page's transaction failed (disk full, I/O error): nothing of it is
/// stored, and the retry cannot be stored either; try again from memory.
void fail_storage(user_self self, const std::string& error) {
  auto& st = self->state;
  st.fetching = false;
  st.fetch_again = false;
  st.fetch_owed = true;
  st.held_url.clear();
  // The pages queued behind the failed one would commit posts past a gap;
  // the retry fetches them again.
  auto queued = st.writes.begin() + static_cast<std::ptrdiff_t>(st.writes_in_flight);
  st.writes.erase(std::remove_if(queued, st.writes.end(), is_fetch_write), st.writes.end());
  st.ctx->stats.inc("igbridge_fetches_total", {{"outcome", "storage"}});
  log(log_level::error, "fetch.storage_failed", {{"user", st.rec.user}, {"error", error}});
  retry_later(self);
}

/// A page's transaction: seen marks, imports into the outbox, cursors.
/// `taken_before` receives the items an earlier page of the fetch took.
user_write page_write(const std::vector<media_item>& items, const page_plan& plan, int64_t now,
                      bool touch_resume, const std::vector<std::string>& resume,
                      bool first_of_initial, int64_t keep, int64_t recheck,
                      bool delete_on_untag, std::shared_ptr<std::vector<bool>> taken_before) {
  return {[items, plan, now, touch_resume, resume, first_of_initial, keep, recheck,
           delete_on_untag, taken_before](user_record& rec, write_txn& txn, write_notes& notes) {
            if (!rec.linked()) {
              // An unlink (or deauthorize) queued before this page ended the
              // link while the page was on its way: nothing of it is taken,
              // so the host hears nothing of the user after account.unlinked.
              taken_before->clear(); // tells done() it was skipped
              return true;
            }
            taken_before->assign(items.size(), false); // this may run twice (map growth)
            if (first_of_initial) {
              resume::forget(txn, rec.user); // a new account starts afresh
            }
            std::vector<nlohmann::json> records;
            for (std::size_t i = 0; i < items.size(); ++i) {
              const auto& item = items[i];
              const auto& p = plan.items[i];
              if (p.action == item_action::known) {
                // Imported before: an edit is news for the host.
                if (auto old = seen::get(txn, rec.user, item.id);
                    old && old->judged == verdict::imported) {
                  recheck_import(txn, notes, rec, item, p.judged == verdict::imported,
                                 delete_on_untag, now, recheck);
                }
                continue;
              }
              if (p.action == item_action::beyond) {
                continue;
              }
              auto old = seen::get(txn, rec.user, item.id);
              bool fresh = p.action == item_action::import || p.action == item_action::mark;
              if ((fresh && old) || (!fresh && old && old->judged == verdict::imported)) {
                (*taken_before)[i] = true; // an earlier page of this fetch took it
                continue;
              }
              seen_entry e;
              e.first_seen = old ? old->first_seen : now;
              e.taken_at = old ? old->taken_at : taken_at_of(item, now);
              e.judged = p.action == item_action::rejudged ? verdict::imported : p.judged;
              e.caption_hash = caption_hash(item.caption);
              seen::put(txn, rec, item.id, e, fresh);
              if (p.action != item_action::import && p.action != item_action::rejudged) {
                continue;
              }
              records.push_back(queue_import(txn, notes, rec, item, e.taken_at, now));
              note_recent(rec.recent_imports, now);
            }
            dashboard::note_imports(txn, records);
            // A stored cursor pages on from the middle of a run cut short
            // until it meets a post seen before that run; pruning now could
            // drop that post and send the cursor on into posts imported
            // long ago. So the seen set waits until no run is left unfinished.
            if (resume.empty()) {
              seen::prune(txn, rec, now, keep, recheck);
            }
            if (touch_resume) {
              resume::save(txn, rec, resume);
            }
            return true;
          },
          {},
          "page",
          true};
}

/// Counts the page's posts as committed; returns how many were imported.
int count_page(const context& ctx, const page_plan& plan, const std::vector<bool>& taken_before) {
  auto& stats = ctx.stats;
  int imported = 0;
  for (std::size_t i = 0; i < plan.items.size(); ++i) {
    auto action = i < taken_before.size() && taken_before[i] ? item_action::known
                                                             : plan.items[i].action;
    const auto& p = plan.items[i];
    imported += action == item_action::import || action == item_action::rejudged ? 1 : 0;
    switch (action) {
      case item_action::known:
        stats.inc("igbridge_media_total", {{"result", "duplicate"}});
        break;
      case item_action::import:
        stats.inc("igbridge_media_total", {{"result", "imported"}});
        break;
      case item_action::rejudged:
        stats.inc("igbridge_media_total", {{"result", "imported"}});
        stats.inc("igbridge_media_total", {{"result", "rejudged"}});
        break;
      case item_action::mark:
      case item_action::remark:
        stats.inc("igbridge_media_total", {{"result", to_string(p.judged)}});
        break;
      case item_action::beyond:
        break;
    }
  }
  return imported;
}

void on_page(user_self self, uint64_t link_gen, uint64_t fetch_gen, page_ask ask,
             http_response resp) {
  auto& st = self->state;
  if (link_gen != st.link_gen || fetch_gen != st.fetch_gen || !st.fetching) {
    return; // the user was unlinked or re-linked meanwhile, or this fetch ended
  }
  const auto& chain = ask.chain;
  auto err = classify(resp);
  if (err && retryable(err.kind) && ask.attempt < transient_retries) {
    return schedule_page_retry(self, std::move(ask), err);
  }
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
  auto usage = read_usage(resp);
  if (usage.app_wait_s > 0) {
    st.ctx->throttle(now + usage.app_wait_s); // slow down before the provider refuses
  }
  const auto& imp = st.ctx->cfg.import;
  std::vector<std::optional<seen_entry>> seen;
  {
    auto txn = st.ctx->db->read();
    for (const auto& item : page->items) {
      seen.push_back(seen::get(txn, st.rec.user, item.id));
    }
  }
  for (const auto& item : page->items) {
    st.listed.insert(item.id);
    auto t = taken_at_of(item, now);
    st.oldest_listed = st.oldest_listed == 0 ? t : std::min(st.oldest_listed, t);
  }
  st.listed_to_end = page->next_url.empty();
  int budget_left = st.initial ? std::max(0, imp.initial_count - st.processed) : -1;
  auto plan = plan_page(page->items, seen, rules_of(st), now, imp.recheck_s, budget_left);
  st.processed += plan.looked_at;
  bool has_next = !page->next_url.empty();
  if (has_next && !same_origin(page->next_url, provider_base(*st.ctx))) {
    // The token goes with the next-page URL: follow it to the provider only.
    log(log_level::warning, "fetch.foreign_next_page", {{"user", st.rec.user}});
    has_next = false;
  }
  bool go_on = keep_paging(plan, has_next, st.initial, st.processed, imp.initial_count,
                           st.oldest_provisional);
  // Where paging goes on, stored with this page: see "resume cursors".
  auto& resume = st.resume;
  std::string next_chain;
  std::string follow;
  bool touch_resume = go_on || !chain.empty() || !st.initial;
  if (touch_resume) {
    if (auto mine = std::find(resume.begin(), resume.end(), chain);
        !chain.empty() && mine != resume.end()) {
      resume.erase(mine);
    }
    if (go_on) {
      next_chain = without_token(page->next_url);
      resume.push_back(next_chain);
      follow = page->next_url;
    } else if (!st.initial && !resume.empty()) {
      // This run reached known posts: finish an older, interrupted one.
      next_chain = resume.back();
      follow = with_token(next_chain, plain_token(st));
    }
    resume::bound(resume);
  }
  bool first_of_initial = st.initial && st.pages == 0;
  ++st.pages;
  ++st.uncommitted;
  auto taken_before = std::make_shared<std::vector<bool>>();
  auto w = page_write(page->items, plan, now, touch_resume, resume, first_of_initial,
                      imp.seen_keep, imp.recheck_s, imp.on_untag == "delete", taken_before);
  auto gen = st.fetch_gen;
  w.done = [self, plan, gen, taken_before](bool ok, const std::string& error) {
    auto& st = self->state;
    // Not current: this fetch ended meanwhile (unlinked, failed on a later
    // page, a page before failed to commit); what committed still counts.
    bool current = gen == st.fetch_gen && st.fetching;
    if (current) {
      --st.uncommitted;
    }
    if (!ok) {
      if (current) {
        fail_storage(self, error);
      }
      return;
    }
    if (taken_before->size() != plan.items.size()) { // skipped: the link had ended
      if (!current) {
        start_deferred_fetch(self);
      }
      return;
    }
    auto imported = count_page(*st.ctx, plan, *taken_before);
    if (imported > 0) {
      log(log_level::info, "media.imported",
          {{"user", st.rec.user}, {"count", std::to_string(imported)}});
    }
    if (!current) {
      start_deferred_fetch(self);
      return;
    }
    st.imported_now += imported;
    if (!st.held_url.empty() && st.uncommitted < max_uncommitted) {
      auto url = std::move(st.held_url);
      st.held_url.clear();
      request_page(self, next_page_request(url), std::move(st.held_chain));
    }
  };
  submit(self, std::move(w));
  int64_t hold = usage.account_wait_s > 0 ? now + usage.account_wait_s : 0;
  if (follow.empty() || st.pages >= max_pages || hold != 0) {
    finish_fetch(self, hold); // queued behind the pages' writes
  } else if (st.uncommitted < max_uncommitted) {
    request_page(self, next_page_request(follow), next_chain);
  } else {
    st.held_url = std::move(follow);
    st.held_chain = std::move(next_chain);
  }
}

} // namespace

void retry_page(user_self self, uint64_t fetch_gen) {
  auto& st = self->state;
  if (fetch_gen != st.fetch_gen || !st.fetching || !st.retry) {
    return; // that fetch ended meanwhile (unlinked, erased)
  }
  auto r = std::move(*st.retry);
  st.retry.reset();
  request_page(self, page_ask{std::move(r.request), std::move(r.chain), r.attempt});
}

void start_fetch(user_self self) {
  auto& st = self->state;
  if (st.fetching) {
    st.fetch_again = true;
    return;
  }
  if (fetch_writes_pending(st)) {
    // A fetch that failed on a later page may leave its earlier pages
    // committing: the next fetch reads the cursors they store.
    st.fetch_again = true;
    return;
  }
  if (!st.stored || st.rec.state != user_state::active) {
    return;
  }
  auto now = st.ctx->now();
  auto throttle = st.ctx->throttle_until.load();
  if (throttle > now) {
    // The app is rate limited: try after it lifts, spread over a minute.
    st.fetch_owed = true;
    st.retry_armed = true;
    ++st.retry_gen;
    auto delay = throttle - now + static_cast<int64_t>(unit_random() * 60);
    self->delayed_send(self, std::chrono::seconds(delay), tick_atom::value, st.retry_gen);
    return;
  }
  if (st.rec.token_expires_at != 0 && now >= st.rec.token_expires_at) {
    require_reauth(self, "token expired", "refresh_failed");
    return;
  }
  auto token = plain_token(st);
  if (token.empty()) {
    require_reauth(self, "token unreadable (storage key changed?)", "token_invalid");
    return;
  }
  const auto& imp = st.ctx->cfg.import;
  st.fetching = true;
  st.fetch_owed = false;
  st.fetch_started_at = now;
  st.fetch_started_clock = std::chrono::steady_clock::now();
  st.initial = !st.rec.initial_fetch_done;
  st.processed = 0;
  st.pages = 0;
  st.imported_now = 0;
  ++st.fetch_gen;
  st.uncommitted = 0;
  st.held_url.clear();
  st.retry.reset();
  st.resume = resume::load(st.ctx->db->read(), st.rec);
  st.listed.clear();
  st.oldest_listed = 0;
  st.listed_to_end = false;
  st.young_imports.clear();
  if (st.initial) {
    st.oldest_provisional = 0;
  } else {
    auto txn = st.ctx->db->read();
    st.oldest_provisional = seen::oldest_provisional(txn, st.rec.user, now, imp.recheck_s);
    st.young_imports = seen::young_imports(txn, st.rec.user, now, imp.recheck_s);
    if (!st.young_imports.empty()) {
      auto oldest = st.young_imports.front().second;
      st.oldest_provisional =
        st.oldest_provisional == 0 ? oldest : std::min(st.oldest_provisional, oldest);
    }
  }
  int n = st.initial ? imp.initial_count : imp.update_count;
  request_page(self, media_request(st.ctx->cfg, token, st.rec.instagram_user_id, n));
}

tag_rules rules_of(const user_actor_state& st) {
  if (st.rec.rules) {
    return rules_from(*st.rec.rules);
  }
  return {st.ctx->cfg.import.tags, st.ctx->cfg.import.block};
}

} // namespace igbridge
