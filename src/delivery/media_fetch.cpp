// The media fetcher: one actor downloads the files of every import that
// waits for its media (DESIGN §8), many at once, and reports each import's
// stored copies, in record order, to the delivery actor, which then
// delivers the record. Any failure reports an error instead; the delivery
// actor retries the record on the sink's schedule, so an import never goes
// out without its media.
//
// - How many files download at once is a download_window: it grows while
//   more downloads bring more throughput, up to media.concurrency, and
//   halves on timeouts and server errors (download_window.hpp).
// - A body is never held whole: the HTTP client streams it to a temp file
//   under media.path (media_download.cpp) on its own thread; the media
//   store syncs finished files in batches and renames them into place.
// - Instagram's CDN URLs expire (`oe`). A URL past its `oe`, or answered
//   403/404/410, makes the fetcher ask the user's actor (through the
//   registry: only it uses the token) to read the post again for fresh
//   URLs (DESIGN §9 "Media re-read"), once per attempt; legacy has no such
//   call.

#include "delivery/media_fetch.hpp"

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <unordered_map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "core/http_waiter.hpp"
#include "core/keep_running.hpp"
#include "delivery/media_download.hpp"

#include "igbridge/download_window.hpp"

namespace igbridge {

namespace {

constexpr auto store_timeout = std::chrono::minutes{2};
constexpr auto reread_timeout = std::chrono::minutes{1};

/// One file of one job.
struct file_ref {
  uint64_t job = 0;
  std::size_t index = 0;
};

/// One import's media, for one attempt of the delivery actor.
struct fetch_job {
  media_job in;
  std::vector<media_source> sources;
  std::vector<stored_media> stored; // by index, as they come
  std::size_t left = 0;             // files not stored yet
  int busy = 0;                     // files downloading or being committed
  bool done = false;                // reported (stored or failed); late results go
  bool reread = false;              // fresh URLs were asked for in this attempt
  bool rereading = false;
  std::vector<std::size_t> waiting; // files waiting for the fresh URLs
};

struct fetcher_state {
  context_ptr ctx;
  media_store_actor store;
  registry_actor registry; // empty: no re-read (tests without users)
  delivery_actor delivery;
  std::unordered_map<uint64_t, fetch_job> jobs;
  uint64_t next_job = 0;
  std::deque<file_ref> queue; // files waiting for a place in the window
  int in_flight = 0;          // downloads (not commits) under way
  std::optional<download_window> window;
  http_waiter http;
  static inline const char* name = "igbridge.media_fetcher";
};

using fetcher_self = media_fetcher_actor::stateful_pointer<fetcher_state>;

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

void gauges(fetcher_state& st) {
  st.ctx->stats.set("igbridge_media_downloads_in_flight", {}, st.in_flight);
  st.ctx->stats.set("igbridge_media_download_window", {}, st.window->size());
}

void dispatch(fetcher_self self);

/// Forgets a job once nothing of it is under way any more.
void maybe_forget(fetcher_state& st, uint64_t id) {
  auto i = st.jobs.find(id);
  if (i != st.jobs.end() && i->second.done && i->second.busy == 0 && !i->second.rereading) {
    st.jobs.erase(i);
  }
}

void report(fetcher_self self, uint64_t id, std::string error = {}) {
  auto& st = self->state;
  auto& job = st.jobs.at(id);
  if (job.done) {
    return;
  }
  job.done = true;
  media_result r;
  if (error.empty()) {
    r.media = std::move(job.stored);
  } else {
    st.ctx->stats.inc("igbridge_media_downloads_total", {{"result", "failed"}});
    r.error = std::move(error);
  }
  self->send(st.delivery, media_atom::value, job.in.seq, std::move(r));
  maybe_forget(st, id);
}

bool can_reread(const fetcher_state& st) {
  return st.registry && st.ctx->dialect == dialect::graph;
}

void on_reread(fetcher_self self, uint64_t id, media_reread& r);

/// Asks the user's actor for fresh URLs of the job's post; `files` wait for them.
void reread(fetcher_self self, uint64_t id, std::vector<std::size_t> files) {
  auto& st = self->state;
  auto& job = st.jobs.at(id);
  job.waiting.insert(job.waiting.end(), files.begin(), files.end());
  if (job.rereading) {
    return;
  }
  job.reread = true;
  job.rereading = true;
  self->request(st.registry, reread_timeout, reread_atom::value, job.in.user, job.in.media_id)
    .then([self, id](media_reread& r) { on_reread(self, id, r); },
          [self, id](caf::error& e) {
            media_reread r;
            r.error = caf::to_string(e);
            on_reread(self, id, r);
          });
}

void on_reread(fetcher_self self, uint64_t id, media_reread& r) {
  auto& st = self->state;
  auto i = st.jobs.find(id);
  if (i == st.jobs.end()) {
    return;
  }
  auto& job = i->second;
  job.rereading = false;
  st.ctx->stats.inc("igbridge_media_rereads_total",
                    {{"result", r.error.empty() ? "ok" : "failed"}});
  if (job.done) {
    maybe_forget(st, id);
    return;
  }
  if (!r.error.empty()) {
    report(self, id, "media re-read: " + r.error);
    return;
  }
  auto fresh = refreshed_sources(nlohmann::json::parse(job.in.record, nullptr, false), r.urls);
  bool same_shape = fresh.size() == job.sources.size();
  for (std::size_t k = 0; same_shape && k < fresh.size(); ++k) {
    same_shape = fresh[k].type == job.sources[k].type;
  }
  if (!same_shape) {
    report(self, id, "media re-read: the post's media changed");
    return;
  }
  job.sources = std::move(fresh);
  for (auto k : job.waiting) {
    st.queue.push_back({id, k});
  }
  job.waiting.clear();
  dispatch(self);
}

void on_stored(fetcher_self self, file_ref f, media_file& m) {
  auto& st = self->state;
  auto i = st.jobs.find(f.job);
  if (i == st.jobs.end()) {
    return;
  }
  auto& job = i->second;
  --job.busy;
  if (job.done) {
    maybe_forget(st, f.job);
    return;
  }
  if (!m.error.empty()) {
    report(self, f.job, "media store: " + m.error);
    return;
  }
  st.ctx->stats.inc("igbridge_media_downloads_total", {{"result", "stored"}});
  auto& s = job.stored[f.index];
  s.type = job.sources[f.index].type;
  s.url = st.ctx->cfg.media.base_url + "/" + m.name;
  s.sha256 = m.name.substr(0, 64);
  s.content_type = m.content_type;
  s.bytes = m.bytes;
  if (--job.left == 0) {
    report(self, f.job);
  }
}

bool url_gone(int status) {
  return status == 403 || status == 404 || status == 410;
}

void on_downloaded(fetcher_self self, file_ref f, const std::string& url,
                   const std::shared_ptr<media_download_sink>& sink, http_response& r) {
  auto& st = self->state;
  --st.in_flight;
  // Our own disk refusing the file says nothing about the CDN.
  bool congested = (r.status == 0 && sink->error().empty()) || r.status == 429 || r.status >= 500;
  st.window->finished(now_s(), congested);
  auto i = st.jobs.find(f.job); // kept while one of its files is busy
  if (i == st.jobs.end()) {
    dispatch(self);
    return;
  }
  auto& job = i->second;
  --job.busy;
  if (job.done) {
    if (r.status == 200) {
      self->send(st.store, discard_atom::value, sink->result().temp_path);
    }
    maybe_forget(st, f.job);
  } else if (r.status == 200) {
    ++job.busy;
    self->request(st.store, store_timeout, commit_atom::value, sink->result())
      .then([self, f](media_file& m) { on_stored(self, f, m); },
            [self, f](caf::error& e) {
              media_file m;
              m.error = caf::to_string(e);
              on_stored(self, f, m);
            });
  } else if (url_gone(r.status) && url != job.sources[f.index].url) {
    st.queue.push_back(f); // an old URL: fresh ones came meanwhile
  } else if (url_gone(r.status) && can_reread(st) && (!job.reread || job.rereading)) {
    reread(self, f.job, {f.index});
  } else {
    // Never the URL: Instagram's carry signed query strings.
    report(self, f.job, r.status == 0 ? "media download: " + r.error
                                      : "media download: HTTP " + std::to_string(r.status));
  }
  dispatch(self);
}

void start_download(fetcher_self self, file_ref f) {
  auto& st = self->state;
  auto& job = st.jobs.at(f.job);
  const auto& cfg = st.ctx->cfg.media;
  ++job.busy;
  ++st.in_flight;
  st.window->started(now_s());
  auto sink = std::make_shared<media_download_sink>(cfg.path, static_cast<uint64_t>(cfg.max_bytes));
  http_request req;
  req.url = job.sources[f.index].url;
  req.max_body = static_cast<std::size_t>(cfg.max_bytes);
  req.sink = sink;
  auto url = req.url;
  st.http.call(st.ctx->http, caf::actor_cast<media_fetcher_actor>(self), std::move(req),
               std::chrono::seconds(cfg.timeout_s),
               [self, f, url, sink](http_response r) { on_downloaded(self, f, url, sink, r); });
}

/// Starts queued files while the window has room.
void dispatch(fetcher_self self) {
  auto& st = self->state;
  while (!st.queue.empty()) {
    if (st.in_flight >= st.window->size()) {
      st.window->limited();
      break;
    }
    auto f = st.queue.front();
    st.queue.pop_front();
    auto i = st.jobs.find(f.job);
    if (i == st.jobs.end() || i->second.done) {
      continue; // its import failed meanwhile
    }
    start_download(self, f);
  }
  if (st.in_flight == 0 && st.queue.empty()) {
    st.window->idle();
  }
  gauges(st);
}

void on_job(fetcher_self self, media_job& in) {
  auto& st = self->state;
  auto id = ++st.next_job;
  auto& job = st.jobs[id];
  job.in = std::move(in);
  job.sources = media_sources(nlohmann::json::parse(job.in.record, nullptr, false));
  job.stored.resize(job.sources.size());
  job.left = job.sources.size();
  if (job.sources.empty()) {
    report(self, id); // nothing to download: the record goes with "media":[]
    return;
  }
  std::vector<std::size_t> all;
  bool expired = false;
  auto now = st.ctx->now();
  for (std::size_t k = 0; k < job.sources.size(); ++k) {
    all.push_back(k);
    auto oe = url_expiry(job.sources[k].url);
    expired = expired || (oe != 0 && oe <= now);
  }
  if (expired && can_reread(st)) {
    reread(self, id, std::move(all)); // a replayed dead letter, or a long outage
    return;
  }
  for (auto k : all) {
    st.queue.push_back({id, k});
  }
  dispatch(self);
}

media_fetcher_actor::behavior_type media_fetcher_fn(fetcher_self self, context_ptr ctx,
                                                    media_store_actor store,
                                                    registry_actor registry,
                                                    delivery_actor delivery) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.store = std::move(store);
  st.registry = std::move(registry);
  st.delivery = std::move(delivery);
  st.window.emplace(st.ctx->cfg.media.concurrency);
  keep_running(self, "media_fetcher");
  return {
    [=](media_atom, media_job& in) { on_job(self, in); },
    [=](http_done_atom, http_reply& reply) { self->state.http.complete(reply); },
  };
}

} // namespace

media_fetcher_actor spawn_media_fetcher(caf::local_actor* parent, context_ptr ctx,
                                        media_store_actor store, registry_actor registry,
                                        delivery_actor delivery) {
  return parent->spawn<caf::linked>(media_fetcher_fn, std::move(ctx), std::move(store),
                                    std::move(registry), std::move(delivery));
}

} // namespace igbridge
