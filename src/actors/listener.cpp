#include "listener.hpp"
#include "media_route.hpp"

#include <caf/all.hpp>

#include "igbridge/log.hpp"
#include "igbridge/webhook.hpp"
#include "request_metrics.hpp"
#include "responses.hpp"

namespace igbridge {

namespace {

http_response livez() {
  return json_response(200, {{"status", "ok"}});
}

void reject(metrics& stats, const responder_ptr& reply, const char* result, int status,
            const char* message, const std::string& remote) {
  stats.inc("igbridge_webhook_updates_total", {{"result", result}});
  log(log_level::warning, "webhook.rejected", {{"reason", result}, {"remote", remote}});
  reply->respond(json_error(status, message));
}

/// A signed update: signature over the raw body before any parsing, then
/// the payload; the writer commits the hints and answers 200.
void webhook_update(const context& ctx, const writer_actor& writer, http_request& req,
                    responder_ptr reply) {
  bool graph = ctx.dialect == dialect::graph;
  auto sig = header_value(req.headers, graph ? "X-Hub-Signature-256" : "X-Hub-Signature");
  if (sig.empty()) {
    return reject(ctx.stats, reply, "missing_signature", 403, "missing signature", req.remote);
  }
  bool ok = graph ? verify_sha256_signature(sig, req.body, ctx.webhook_secrets)
                  : verify_sha1_signature(sig, req.body, ctx.webhook_secrets);
  if (!ok) {
    return reject(ctx.stats, reply, "bad_signature", 403, "invalid signature", req.remote);
  }
  auto ids = graph ? parse_graph_update(req.body) : parse_legacy_update(req.body);
  if (!ids) {
    return reject(ctx.stats, reply, "malformed", 400, "not an Instagram update payload",
                  req.remote);
  }
  ctx.stats.inc("igbridge_webhook_updates_total", {{"result", "accepted"}});
  if (ids->empty()) {
    return reply->respond(json_response(200, {{"hinted", 0}, {"unknown", 0}}));
  }
  caf::anon_send(writer, hint_batch{std::move(*ids), std::move(reply),
                                    std::chrono::steady_clock::now()});
}

std::string path_of(const std::string& target) {
  return target.substr(0, target.find('?'));
}

} // namespace

http_server::handler public_listener(context_ptr ctx, const actor_set& actors) {
  auto writer = actors.writer;
  auto front = actors.front;
  return [ctx, writer, front](http_request req, responder_ptr reply) {
    auto counted = counting_responder(std::move(reply), ctx->stats, listener_kind::public_api,
                                      route_label(listener_kind::public_api, req.target));
    auto path = path_of(req.target);
    if (path == "/livez") {
      if (req.method == "GET" || req.method == "HEAD") {
        return counted->respond(livez());
      }
      return counted->respond(json_error(405, "method not allowed"));
    }
    if (path == "/hooks/instagram" && req.method == "POST") {
      return webhook_update(*ctx, writer, req, std::move(counted));
    }
    if (path.compare(0, 7, "/media/") == 0) {
      return counted->respond(serve_media(req, ctx->cfg.media.path));
    }
    caf::anon_send(front, inbound{listener_kind::public_api, std::move(req), std::move(counted)});
  };
}

http_server::handler admin_listener(context_ptr ctx, const actor_set& actors) {
  auto admin = actors.admin;
  return [ctx, admin](http_request req, responder_ptr reply) {
    auto counted = counting_responder(std::move(reply), ctx->stats, listener_kind::admin_api,
                                      route_label(listener_kind::admin_api, req.target));
    caf::anon_send(admin, inbound{listener_kind::admin_api, std::move(req), std::move(counted)});
  };
}

} // namespace igbridge
