// Fetching one import's media: a short-lived actor per record downloads its
// files one after the other on the HTTP client (answers come back as
// messages), has the media store keep each, and reports the stored copies,
// in record order, to the delivery actor, which then delivers the record.
// Any failure reports an error instead; the delivery actor retries the
// record on the sink's schedule, so an import never goes out without its
// media.

#include <caf/all.hpp>

#include "http_waiter.hpp"
#include "media_fetch.hpp"

#include "igbridge/log.hpp"

namespace igbridge {

namespace {

struct fetch_job {
  context_ptr ctx;
  media_store_actor store;
  delivery_actor reply_to;
  uint64_t seq = 0;
  std::vector<media_source> sources;
  media_result result;
  http_waiter http;
};

using job_ptr = std::shared_ptr<fetch_job>;

void finish(caf::event_based_actor* self, const job_ptr& job, std::string error = {}) {
  job->result.error = std::move(error);
  if (!job->result.error.empty()) {
    job->ctx->stats.inc("igbridge_media_downloads_total", {{"result", "failed"}});
    job->result.media.clear();
  }
  self->send(job->reply_to, media_atom::value, job->seq, std::move(job->result));
  self->quit();
}

void next(caf::event_based_actor* self, const job_ptr& job) {
  auto i = job->result.media.size();
  if (i == job->sources.size()) {
    return finish(self, job);
  }
  const auto& cfg = job->ctx->cfg.media;
  http_request req;
  req.url = job->sources[i].url;
  req.max_body = static_cast<std::size_t>(cfg.max_bytes);
  job->http.call(job->ctx->http, caf::actor_cast<caf::actor>(self), std::move(req),
                 std::chrono::seconds(cfg.timeout_s), [self, job](http_response r) {
                   if (r.status != 200) {
                     // Never the URL: Instagram's carry signed query strings.
                     return finish(self, job, r.status == 0 ? "media download: " + r.error
                                                            : "media download: HTTP "
                                                                + std::to_string(r.status));
                   }
                   self->request(job->store, std::chrono::minutes(2), store_atom::value,
                                 std::move(r.body))
                     .then(
                       [self, job](media_file& f) {
                         if (!f.error.empty()) {
                           return finish(self, job, "media store: " + f.error);
                         }
                         job->ctx->stats.inc("igbridge_media_downloads_total",
                                             {{"result", "stored"}});
                         const auto& src = job->sources[job->result.media.size()];
                         stored_media m;
                         m.type = src.type;
                         m.url = job->ctx->cfg.media.base_url + "/" + f.name;
                         m.sha256 = f.name.substr(0, 64);
                         m.content_type = f.content_type;
                         m.bytes = f.bytes;
                         job->result.media.push_back(std::move(m));
                         next(self, job);
                       },
                       [self, job](caf::error& e) {
                         finish(self, job, "media store: " + caf::to_string(e));
                       });
                 });
}

caf::behavior media_fetch_fn(caf::event_based_actor* self, job_ptr job) {
  self->send(self, kick_atom::value);
  return {
    [=](kick_atom) { next(self, job); },
    [=](http_done_atom, http_reply& reply) { job->http.complete(reply); },
  };
}

} // namespace

void spawn_media_fetch(caf::local_actor* parent, context_ptr ctx, media_store_actor store,
                       delivery_actor reply_to, uint64_t seq, std::vector<media_source> sources) {
  auto job = std::make_shared<fetch_job>();
  job->ctx = std::move(ctx);
  job->store = std::move(store);
  job->reply_to = std::move(reply_to);
  job->seq = seq;
  job->sources = std::move(sources);
  parent->spawn(media_fetch_fn, std::move(job));
}

} // namespace igbridge
