// Instagram's inbound webhooks: subscription verification, signed updates
// (signature over the raw body before any parsing), and the signed_request
// callbacks for deauthorization and data deletion.

#include <caf/all.hpp>

#include "front.hpp"
#include "igbridge/clock.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/log.hpp"
#include "igbridge/metrics.hpp"
#include "igbridge/webhook.hpp"
#include "responses.hpp"

namespace igbridge {

namespace {

void count_update(front_self self, const char* result) {
  if (self->state.ctx->stats) {
    self->state.ctx->stats->inc("igbridge_webhook_updates_total", {{"result", result}});
  }
}

http_response text(int status, std::string body) {
  http_response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

std::string deletion_key(const std::string& code) {
  return "deletion:" + code;
}

} // namespace

void hook_verify(front_self self, const route_request& r) {
  const auto& ctx = *self->state.ctx;
  auto mode = param(r.query, "hub.mode").value_or("");
  auto token = param(r.query, "hub.verify_token").value_or("");
  auto challenge = param(r.query, "hub.challenge").value_or("");
  // An empty configured token verifies nothing: it would match any caller.
  if (mode != "subscribe" || ctx.cfg.instagram.verify_token.empty()
      || !constant_time_equal(token, ctx.cfg.instagram.verify_token)) {
    count_update(self, "verify_refused");
    log(log_level::notice, "webhook.verify_refused", {{"remote", r.in.request.remote}});
    return r.in.reply->respond(json_error(403, "verification refused"));
  }
  log(log_level::info, "webhook.verified", {});
  r.in.reply->respond(text(200, challenge));
}

void hook_update(front_self self, const route_request& r) {
  const auto& ctx = *self->state.ctx;
  const auto& body = r.in.request.body;
  bool graph = ctx.dialect == dialect::graph;
  auto sig = header_value(r.in.request.headers, graph ? "X-Hub-Signature-256" : "X-Hub-Signature");
  if (sig.empty()) {
    count_update(self, "missing_signature");
    log(log_level::warning, "webhook.rejected",
        {{"reason", "missing_signature"}, {"remote", r.in.request.remote}});
    return r.in.reply->respond(json_error(403, "missing signature"));
  }
  bool ok = graph ? verify_sha256_signature(sig, body, ctx.webhook_secrets)
                  : verify_sha1_signature(sig, body, ctx.webhook_secrets);
  if (!ok) {
    count_update(self, "bad_signature");
    log(log_level::warning, "webhook.rejected",
        {{"reason", "bad_signature"}, {"remote", r.in.request.remote}});
    return r.in.reply->respond(json_error(403, "invalid signature"));
  }
  auto ids = graph ? parse_graph_update(body) : parse_legacy_update(body);
  if (!ids) {
    count_update(self, "malformed");
    log(log_level::warning, "webhook.rejected", {{"reason", "malformed"}});
    return r.in.reply->respond(json_error(400, "not an Instagram update payload"));
  }
  count_update(self, "accepted");
  if (ids->empty()) {
    return r.in.reply->respond(json_response(200, {{"hinted", 0}, {"unknown", 0}}));
  }
  // The registry answers once the hints are committed.
  self->send(self->state.registry,
             hint_batch{std::move(*ids), r.in.reply, std::chrono::steady_clock::now()});
}

void hook_signed_request(front_self self, const route_request& r, bool erase) {
  auto ctx = self->state.ctx;
  auto form = parse_query(r.in.request.body);
  auto field = param(form, "signed_request").value_or("");
  auto sr = decode_signed_request(field, ctx->webhook_secrets);
  const char* what = erase ? "data_deletion" : "deauthorize";
  if (!sr) {
    count_update(self, "bad_signed_request");
    log(log_level::warning, "webhook.rejected",
        {{"reason", "bad_signed_request"}, {"kind", what}, {"remote", r.in.request.remote}});
    return r.in.reply->respond(json_error(403, "invalid signed_request"));
  }
  auto users = ctx->db->read().get_all(db::ig_index, sr->user_id);
  auto code = erase ? random_token() : std::string{};
  if (erase) {
    nlohmann::json status{{"confirmation_code", code},
                          {"status", users.empty() ? "completed" : "in_progress"},
                          {"instagram_user_id", sr->user_id},
                          {"users", users.size()},
                          {"requested_at", rfc3339(ctx->now())}};
    auto txn = ctx->db->write();
    txn.put(db::meta, deletion_key(code), status.dump());
    txn.commit();
  }
  log(log_level::notice, erase ? "webhook.data_deletion" : "webhook.deauthorize",
      {{"instagram_user_id", sr->user_id}, {"users", std::to_string(users.size())}});
  auto reply = r.in.reply;
  auto answer = [ctx, reply, erase, code] {
    if (!erase) {
      reply->respond(json_response(200, {{"success", true}}));
      return;
    }
    try {
      auto txn = ctx->db->write();
      if (auto v = txn.get(db::meta, deletion_key(code))) {
        auto j = nlohmann::json::parse(*v, nullptr, false);
        if (j.is_object()) {
          j["status"] = "completed";
          j["completed_at"] = rfc3339(ctx->now());
          txn.put(db::meta, deletion_key(code), j.dump());
          txn.commit();
        }
      }
    } catch (const std::exception&) {
      // the status stays in_progress; the answer is still owed
    }
    reply->respond(json_response(
      200, {{"url", ctx->cfg.server.public_url + "/hooks/instagram/deletion?code=" + code},
            {"confirmation_code", code}}));
  };
  if (users.empty()) {
    return answer();
  }
  // Answer once every linked app user's actor has done its part.
  auto left = std::make_shared<std::size_t>(users.size());
  auto one_done = [left, answer] {
    if (--*left == 0) {
      answer();
    }
  };
  for (auto& u : users) {
    self->request(self->state.registry, actor_timeout, user_atom::value, u, true)
      .then(
        [=](const caf::actor& a) {
          auto req = erase ? self->request(a, actor_timeout, erase_atom::value,
                                           std::string("data deletion requested"))
                           : self->request(a, actor_timeout, unlink_atom::value, true,
                                           std::string("deauthorized"));
          req.then([=](bool) { one_done(); }, [=](const caf::error&) { one_done(); });
        },
        [=](const caf::error&) { one_done(); });
  }
}

void hook_deletion_status(front_self self, const route_request& r) {
  auto code = param(r.query, "code").value_or("");
  auto v = self->state.ctx->db->read().get(db::meta, deletion_key(code));
  if (code.empty() || !v) {
    return r.in.reply->respond(json_error(404, "unknown confirmation code"));
  }
  auto j = nlohmann::json::parse(*v, nullptr, false);
  r.in.reply->respond(json_response(200, j));
}

} // namespace igbridge
