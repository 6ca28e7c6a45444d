// A short-lived actor per Micropub event: the steps of one post (config
// query, uploads, then the create, update or delete request) are HTTP
// exchanges whose answers come back as messages, and stored files are read
// by the media store's thread, so no step waits on a CAF worker.

#include "delivery/micropub_post.hpp"

#include <caf/all.hpp>

#include "core/http_waiter.hpp"

#include "igbridge/sink_format.hpp"

namespace igbridge {

namespace {

struct post_job {
  context_ptr ctx;
  media_store_actor store;
  delivery_actor reply_to;
  outbox_entry entry;
  std::string post_url; // update, delete: the post's URL on the host
  micropub_known known;
  std::vector<micropub_media> media;
  std::vector<std::string> bytes; // multipart without a media endpoint
  micropub_outcome outcome;
  http_waiter http;
};

using job_ptr = std::shared_ptr<post_job>;
/// One entry's own interface: the kick that starts it and the answers.
using micropub_post_actor = caf::typed_actor<caf::reacts_to<kick_atom>,
                                             caf::reacts_to<http_done_atom, http_reply>>;
using self_ptr = micropub_post_actor::pointer;

std::chrono::seconds timeout_of(const post_job& job) {
  return std::chrono::seconds(job.ctx->cfg.sink.timeout_s);
}

void finish(self_ptr self, const job_ptr& job, http_response answer) {
  job->outcome.answer = std::move(answer);
  self->send(job->reply_to, micropub_atom::value, job->entry.seq, std::move(job->outcome));
  self->quit();
}

void fail(self_ptr self, const job_ptr& job, std::string why) {
  http_response r;
  r.error = std::move(why);
  finish(self, job, std::move(r));
}

void send(self_ptr self, const job_ptr& job, http_request req,
          std::function<void(http_response)> k) {
  job->http.call(job->ctx->http, caf::actor_cast<micropub_post_actor>(self), std::move(req),
                 timeout_of(*job), std::move(k));
}

/// The answer to the create (or update): the post's URL comes with a 201
/// or 202 (an update answers 201 only when the post moved).
void finish_final(self_ptr self, const job_ptr& job, http_response r) {
  if (r.status == 201 || r.status == 202) {
    job->outcome.location = micropub_location(r, job->ctx->cfg.sink.url);
  }
  finish(self, job, std::move(r));
}

/// The create or update request, referencing every file by URL.
void send_by_url(self_ptr self, const job_ptr& job) {
  auto live = job->ctx->live();
  const auto& sink = live->cfg.sink;
  auto req = job->entry.type == event_type::media_updated
               ? micropub_update_request(sink.url, sink.token, job->entry, job->post_url,
                                         job->media)
               : micropub_request(sink.url, sink.token, job->entry, sink.micropub_syntax,
                                  job->media);
  send(self, job, std::move(req),
       [self, job](http_response r) { finish_final(self, job, std::move(r)); });
}

/// Reads stored file `i` through the media store, then `k(bytes)`.
void load(self_ptr self, const job_ptr& job, std::size_t i,
          std::function<void(std::string&)> k) {
  self->request(job->store, std::chrono::minutes(2), load_atom::value, job->media[i].file)
    .then(
      [self, job, k](std::string& bytes) {
        if (bytes.empty()) {
          return fail(self, job, "stored media file missing");
        }
        k(bytes);
      },
      [self, job](caf::error& e) { fail(self, job, "media store: " + caf::to_string(e)); });
}

/// Uploads file `i` and the following ones to the media endpoint, each
/// URL replaced by the Location it answers; then the create or update.
void upload(self_ptr self, const job_ptr& job, std::size_t i) {
  if (i == job->media.size()) {
    return send_by_url(self, job);
  }
  load(self, job, i, [self, job, i](std::string& bytes) {
    auto live = job->ctx->live();
    const auto& sink = live->cfg.sink;
    send(self, job,
         micropub_upload_request(job->outcome.media_endpoint.empty()
                                   ? job->known.media_endpoint
                                   : job->outcome.media_endpoint,
                                 sink.token, job->media[i], std::move(bytes)),
         [self, job, i](http_response r) {
           auto location = header_value(r.headers, "Location");
           if (r.status >= 200 && r.status < 300 && location.empty()) {
             // Taken, but not said where: no URL to reference, and never
             // "delivered" since the post itself was not sent.
             return fail(self, job, "media endpoint answered HTTP " + std::to_string(r.status)
                                      + " without a Location");
           }
           if ((r.status != 201 && r.status != 202) || location.empty()) {
             return finish(self, job, std::move(r)); // the delivery retries it
           }
           job->media[i].url = location;
           upload(self, job, i + 1);
         });
  });
}

/// Without a media endpoint: the files themselves, as multipart parts.
void create_multipart(self_ptr self, const job_ptr& job, std::size_t i) {
  if (i == job->media.size()) {
    auto live = job->ctx->live();
    const auto& sink = live->cfg.sink;
    return send(self, job,
                micropub_multipart_request(sink.url, sink.token, job->entry, job->media,
                                           job->bytes),
                [self, job](http_response r) { finish_final(self, job, std::move(r)); });
  }
  load(self, job, i, [self, job, i](std::string& bytes) {
    job->bytes.push_back(std::move(bytes));
    create_multipart(self, job, i + 1);
  });
}

void with_endpoint(self_ptr self, const job_ptr& job, const std::string& endpoint) {
  if (!endpoint.empty()) {
    return upload(self, job, 0);
  }
  // JSON cannot carry files (an update is JSON alone): it references the
  // stored copies' URLs.
  if (job->ctx->cfg.sink.micropub_syntax == "json"
      || job->entry.type == event_type::media_updated) {
    return send_by_url(self, job);
  }
  create_multipart(self, job, 0);
}

void start(self_ptr self, const job_ptr& job) {
  if (job->entry.type == event_type::media_deleted) {
    auto live = job->ctx->live();
    const auto& sink = live->cfg.sink;
    return send(self, job, micropub_delete_request(sink.url, sink.token, job->post_url),
                [self, job](http_response r) { finish(self, job, std::move(r)); });
  }
  // An update whose media did not change sends no files at all.
  bool files = job->entry.type != event_type::media_updated
               || micropub_changes_of(job->entry).media;
  job->media = files ? micropub_media_of(job->entry) : std::vector<micropub_media>{};
  bool stored = job->store && !job->media.empty();
  for (const auto& m : job->media) {
    stored = stored && !m.file.empty();
  }
  if (!stored) {
    return send_by_url(self, job);
  }
  if (job->known.discovered) {
    return with_endpoint(self, job, job->known.media_endpoint);
  }
  auto live = job->ctx->live();
  const auto& sink = live->cfg.sink;
  send(self, job, micropub_config_request(sink.url, sink.token), [self, job](http_response r) {
    if (r.status == 0 || r.status >= 500) {
      return finish(self, job, std::move(r)); // cannot tell yet: retry later
    }
    job->outcome.discovered = true;
    job->outcome.media_endpoint = micropub_media_endpoint(r);
    with_endpoint(self, job, job->outcome.media_endpoint);
  });
}

micropub_post_actor::behavior_type micropub_post_fn(self_ptr self, job_ptr job) {
  self->send(self, kick_atom::value);
  return {
    [=](kick_atom) { start(self, job); },
    [=](http_done_atom, http_reply& reply) { job->http.complete(reply); },
  };
}

} // namespace

void spawn_micropub_post(caf::local_actor* parent, context_ptr ctx, media_store_actor store,
                         delivery_actor reply_to, outbox_entry e, std::string post_url,
                         micropub_known known) {
  auto job = std::make_shared<post_job>();
  job->ctx = std::move(ctx);
  job->store = std::move(store);
  job->reply_to = std::move(reply_to);
  job->entry = std::move(e);
  job->post_url = std::move(post_url);
  job->known = std::move(known);
  parent->spawn(micropub_post_fn, std::move(job));
}

} // namespace igbridge
