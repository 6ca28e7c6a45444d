// Instagram's callbacks that need an actor: the subscription verification
// GET, and the signed_request callbacks for deauthorization and data
// deletion. (Signed updates are taken on the listener's threads: see
// listener.cpp.) A data deletion is recorded before anything is erased,
// says "completed" only after every linked user's erase committed, and a
// replay of the same request answers the same confirmation code.

#include <mutex>

#include <caf/all.hpp>

#include "api/front.hpp"
#include "igbridge/clock.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/log.hpp"
#include "igbridge/store/deletions.hpp"
#include "igbridge/store/users.hpp"
#include "igbridge/webhook.hpp"
#include "api/responses.hpp"

namespace igbridge {

namespace {

/// signed_request freshness: Meta signs them when it sends them.
constexpr int64_t max_age_s = 24 * 3600;
constexpr int64_t max_ahead_s = 5 * 60;

void count_update(front_self self, const char* result) {
  self->state.ctx->stats.inc("igbridge_webhook_updates_total", {{"result", result}});
}

http_response text(int status, std::string body) {
  http_response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

std::string status_url(const context& ctx, const std::string& code) {
  return ctx.cfg.server.public_url + "/hooks/instagram/deletion?code=" + code;
}

http_response deletion_answer(const context& ctx, const std::string& code) {
  return json_response(200, {{"url", status_url(ctx, code)}, {"confirmation_code", code}});
}

/// Calls `done(all_ok)` once every user's request was answered.
struct countdown {
  std::size_t left;
  bool all_ok = true;
  std::function<void(bool)> done;
  void one(bool ok) {
    all_ok = all_ok && ok;
    if (--left == 0) {
      done(all_ok);
    }
  }
};

/// A countdown whose answers come on NATS threads, together.
struct locked_countdown {
  locked_countdown(std::size_t n, std::function<void(bool)> done)
      : count{n, true, std::move(done)} {}
  void one(bool ok) {
    std::lock_guard<std::mutex> lock(mu);
    count.one(ok);
  }
  std::mutex mu;
  countdown count;
};

/// Erases every app user linked to the requesting account, then marks the
/// deletion completed; answers Meta with the code either way (the status
/// page tells the truth, and a replay tries again).
void run_deletion(front_self self, std::vector<std::string> users, std::string code,
                  responder_ptr reply) {
  auto ctx = self->state.ctx;
  auto writer = self->state.peers.writer;
  auto complete = [self, ctx, writer, code, reply](bool all_ok) {
    if (!all_ok) {
      log(log_level::error, "webhook.data_deletion_incomplete", {{"code", code}});
      return reply->respond(deletion_answer(*ctx, code));
    }
    auto now = ctx->now();
    write_then(self, writer, "deletion_done",
               [code, now](write_txn& txn, write_notes&) { deletions::complete(txn, code, now); },
               [ctx, code, reply](bool ok) {
                 if (!ok) {
                   log(log_level::error, "webhook.data_deletion_unrecorded", {{"code", code}});
                 }
                 reply->respond(deletion_answer(*ctx, code));
               });
  };
  if (users.empty()) {
    return complete(true);
  }
  auto count = std::make_shared<countdown>(countdown{users.size(), true, complete});
  for (auto& u : users) {
    self->request(self->state.peers.registry, actor_timeout, erase_atom::value, u, code)
      .then([count](bool ok) { count->one(ok); }, [count](caf::error&) { count->one(false); });
  }
}

void deauthorize(front_self self, const std::vector<std::string>& users, responder_ptr reply) {
  auto answer = [reply](bool) { reply->respond(json_response(200, {{"success", true}})); };
  if (users.empty()) {
    return answer(true);
  }
  auto count = std::make_shared<countdown>(countdown{users.size(), true, answer});
  for (const auto& u : users) {
    self->request(self->state.peers.registry, actor_timeout, unlink_atom::value, u, true,
                  std::string("deauthorized"))
      .then([count](bool ok) { count->one(ok); }, [count](caf::error&) { count->one(false); });
  }
}

/// Cluster mode: the users come from the replicated index, and each unlink
/// goes to its user's owner through the shard's stream; Meta hears 200 once
/// every unlink is stored there, 503 (it retries) if one is not.
void deauthorize_in_cluster(const context_ptr& ctx, const std::string& instagram_id,
                            responder_ptr reply) {
  auto c = ctx;
  ctx->lookup_users(instagram_id, [c, instagram_id, reply](std::vector<std::string> users, bool ok) {
    if (!ok) {
      return reply->respond(json_error(503, "could not look the account up; try again"));
    }
    log(log_level::notice, "webhook.deauthorize",
        {{"instagram_user_id", instagram_id}, {"users", std::to_string(users.size())}});
    auto answer = [reply](bool all) {
      reply->respond(all ? json_response(200, {{"success", true}})
                         : json_error(503, "could not record the deauthorization; try again"));
    };
    if (users.empty()) {
      return answer(true);
    }
    auto count = std::make_shared<locked_countdown>(users.size(), answer);
    for (const auto& u : users) {
      c->forward_unlink(u, "deauthorized", [count](bool stored) { count->one(stored); });
    }
  });
}

/// Cluster mode: the request opened in the replicated bucket (a replay
/// finds its code), and each linked user's erase sent to her owner through
/// her shard's stream; Meta gets the code once every erase is stored there
/// (503 if one is not: its retry is a replay, and sends them again). The
/// status page reads `completed` once every owner purged her shard's
/// history too.
void deletion_in_cluster(const context_ptr& ctx, const std::string& signed_field,
                         const std::string& instagram_id, responder_ptr reply) {
  auto c = ctx;
  ctx->lookup_users(instagram_id, [c, signed_field, instagram_id,
                                   reply](std::vector<std::string> users, bool ok) {
    if (!ok) {
      return reply->respond(json_error(503, "could not look the account up; try again"));
    }
    log(log_level::notice, "webhook.data_deletion",
        {{"instagram_user_id", instagram_id}, {"users", std::to_string(users.size())}});
    auto request_key = to_hex(sha256(signed_field));
    c->deletion_open(request_key, random_token(), instagram_id, users,
                     [c, users, reply](std::optional<context::deletion_opened> o) {
      if (!o) {
        return reply->respond(json_error(503, "could not record the request"));
      }
      if (o->completed || users.empty()) {
        return reply->respond(deletion_answer(*c, o->code));
      }
      auto code = o->code;
      auto count = std::make_shared<locked_countdown>(users.size(), [c, code, reply](bool all) {
        reply->respond(all ? deletion_answer(*c, code)
                           : json_error(503, "could not record the deletion; try again"));
      });
      for (const auto& u : users) {
        c->forward_erase(u, code, [count](bool stored) { count->one(stored); });
      }
    });
  });
}

void answer_deletion_status(const deletion_record& d, const std::string& code, bool html,
                            const responder_ptr& reply) {
  if (!html) {
    return reply->respond(json_response(200, public_view(d, code)));
  }
  auto done = d.status == deletion_status::completed;
  reply->respond(html_page(
    200, done ? "Your data was deleted" : "Your data is being deleted",
    done ? "Everything this service held about your Instagram account was erased on "
             + rfc3339(d.completed_at) + ". Confirmation code: " + code + "."
         : "We received your request on " + rfc3339(d.requested_at)
             + " and are erasing your data. Confirmation code: " + code + "."));
}

http_response unknown_code(bool html) {
  return html ? html_page(404, "Unknown request", "No data deletion request has this code.")
              : json_error(404, "unknown confirmation code");
}

} // namespace

void hook_verify(front_self self, const route_request& r) {
  auto live = self->state.ctx->live();
  const auto& verify_token = live->cfg.instagram.verify_token;
  auto mode = param(r.query, "hub.mode").value_or("");
  auto token = param(r.query, "hub.verify_token").value_or("");
  auto challenge = param(r.query, "hub.challenge").value_or("");
  // An empty configured token verifies nothing: it would match any caller.
  if (mode != "subscribe" || verify_token.empty()
      || !constant_time_equal(token, verify_token)) {
    count_update(self, "verify_refused");
    log(log_level::notice, "webhook.verify_refused", {{"remote", r.in.request.remote}});
    return r.in.reply->respond(json_error(403, "verification refused"));
  }
  log(log_level::info, "webhook.verified", {});
  r.in.reply->respond(text(200, challenge));
}

void hook_signed_request(front_self self, const route_request& r, bool erase) {
  auto ctx = self->state.ctx;
  auto form = parse_query(r.in.request.body);
  auto field = param(form, "signed_request").value_or("");
  auto sr = decode_signed_request(field, ctx->live()->keys);
  const char* what = erase ? "data_deletion" : "deauthorize";
  const auto& remote = r.in.request.remote;
  if (!sr) {
    count_update(self, "bad_signed_request");
    log(log_level::warning, "webhook.rejected",
        {{"reason", "bad_signed_request"}, {"kind", what}, {"remote", remote}});
    return r.in.reply->respond(json_error(403, "invalid signed_request"));
  }
  ctx->stats.inc("igbridge_signature_key_total", {{"key", to_string(sr->key)}});
  auto now = ctx->now();
  if (sr->issued_at < now - max_age_s || sr->issued_at > now + max_ahead_s) {
    count_update(self, "stale_signed_request");
    log(log_level::warning, "webhook.rejected",
        {{"reason", "stale_signed_request"}, {"kind", what}, {"remote", remote}});
    return r.in.reply->respond(json_error(403, "signed_request is too old or from the future"));
  }
  if (!erase && ctx->lookup_users) {
    return deauthorize_in_cluster(ctx, sr->user_id, r.in.reply);
  }
  if (erase && ctx->deletion_open) {
    return deletion_in_cluster(ctx, field, sr->user_id, r.in.reply);
  }
  // Either id finds the user: the app-scoped one Meta signs here, or the
  // professional account id webhooks carry.
  auto linked = users::of_instagram_id(ctx->db->read(), sr->user_id);
  log(log_level::notice, erase ? "webhook.data_deletion" : "webhook.deauthorize",
      {{"instagram_user_id", sr->user_id}, {"users", std::to_string(linked.size())}});
  auto reply = r.in.reply;
  if (!erase) {
    return deauthorize(self, linked, reply);
  }
  // A replay of the same request is the same deletion: same code.
  auto request_key = to_hex(sha256(field));
  auto fresh = random_token();
  auto code = std::make_shared<std::string>(fresh);
  auto replayed = std::make_shared<bool>(false);
  auto completed = std::make_shared<bool>(false);
  auto n = linked.size();
  write_then(self, self->state.peers.writer, "deletion_request",
             [request_key, fresh, code, replayed, completed, n, now](write_txn& txn,
                                                                     write_notes&) {
               auto o = deletions::open(txn, request_key, fresh, n, now);
               *code = o.code;
               *replayed = o.replayed;
               *completed = o.completed;
             },
             [self, ctx, linked, code, replayed, completed, reply](bool ok) {
               if (!ok) {
                 return reply->respond(json_error(503, "could not record the request"));
               }
               if (*replayed && *completed) {
                 return reply->respond(deletion_answer(*ctx, *code));
               }
               run_deletion(self, linked, *code, reply);
             });
}

void hook_deletion_status(front_self self, const route_request& r) {
  auto code = param(r.query, "code").value_or("");
  bool html = header_value(r.in.request.headers, "Accept").find("text/html") != std::string::npos;
  auto reply = r.in.reply;
  if (code.empty() || code.size() > 64) {
    return reply->respond(unknown_code(html));
  }
  const auto& ctx = self->state.ctx;
  if (ctx->deletion_get) {
    // Cluster mode: any node answers, from the replicated bucket.
    return ctx->deletion_get(code, [code, html, reply](std::optional<deletion_record> d, bool ok) {
      if (!ok) {
        return reply->respond(json_error(503, "could not look the request up; try again"));
      }
      if (!d) {
        return reply->respond(unknown_code(html));
      }
      answer_deletion_status(*d, code, html, reply);
    });
  }
  auto d = deletions::get(ctx->db->read(), code);
  if (!d) {
    return reply->respond(unknown_code(html));
  }
  answer_deletion_status(*d, code, html, reply);
}

} // namespace igbridge
