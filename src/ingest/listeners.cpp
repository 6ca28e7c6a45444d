#include "ingest/listeners.hpp"
#include "ingest/media_route.hpp"

#include <optional>
#include <string_view>

#include <caf/all.hpp>

#include "igbridge/cluster/node.hpp"
#include "igbridge/log.hpp"
#include "igbridge/webhook.hpp"
#include "ingest/request_metrics.hpp"
#include "api/responses.hpp"

namespace igbridge {

namespace {

http_response livez() {
  return json_response(200, {{"status", "ok"}});
}

/// The webhook results counted per request, resolved once per listener.
struct update_results {
  explicit update_results(metrics& stats)
    : accepted(of(stats, "accepted")), missing_signature(of(stats, "missing_signature")),
      bad_signature(of(stats, "bad_signature")), malformed(of(stats, "malformed")),
      key_instagram(key(stats, key_origin::instagram)), key_meta(key(stats, key_origin::meta)),
      key_extra(key(stats, key_origin::extra)) {
    // nop
  }
  static metrics::series key(metrics& stats, key_origin k) {
    return stats.at("igbridge_signature_key_total", {{"key", to_string(k)}});
  }
  const metrics::series& matched(key_origin k) const {
    return k == key_origin::meta ? key_meta : k == key_origin::extra ? key_extra : key_instagram;
  }
  static metrics::series of(metrics& stats, const char* result) {
    return stats.at("igbridge_webhook_updates_total", {{"result", result}});
  }
  metrics::series accepted;
  metrics::series missing_signature;
  metrics::series bad_signature;
  metrics::series malformed;
  metrics::series key_instagram;
  metrics::series key_meta;
  metrics::series key_extra;
};

void reject(const metrics::series& counter, const responder_ptr& reply, const char* reason,
            int status, const char* message, const std::string& remote) {
  counter.inc();
  log(log_level::warning, "webhook.rejected", {{"reason", reason}, {"remote", remote}});
  reply->respond(json_error(status, message));
}

/// The header an update's signature comes in, per dialect.
const char* signature_header(const context& ctx) {
  return ctx.dialect == dialect::graph ? "X-Hub-Signature-256" : "X-Hub-Signature";
}

void reject_unsigned(const update_results& results, const responder_ptr& reply,
                     const std::string& remote) {
  reject(results.missing_signature, reply, "missing_signature", 403, "missing signature",
         remote);
}

/// Keeps the answer given to it: the head check answers in its own call.
class kept_answer final : public responder {
public:
  void respond(http_response r) override { answer = std::move(r); }
  std::optional<http_response> answer;
};

/// An update's head, judged before its sender commits the body (`Expect:
/// 100-continue`): without the dialect's signature header it is refused as
/// its whole request would be; a Content-Length over the listener's body
/// limit never gets here (the server's parser answers 413 to any route).
std::optional<http_response> webhook_head(const context& ctx, const update_results& results,
                                          const request_counters& counters,
                                          const request_counters::route_series& route,
                                          const http_request& head) {
  if (!header_value(head.headers, signature_header(ctx)).empty()) {
    return std::nullopt;
  }
  auto kept = std::make_shared<kept_answer>();
  reject_unsigned(results, counters.wrap(kept, route), head.remote);
  return std::move(kept->answer);
}

/// A signed update: signature over the raw body before any parsing, then
/// the payload; the writer commits the hints and answers 200.
void webhook_update(const context& ctx, const webhook_keys& keys, const update_results& results,
                    const writer_actor& writer, http_request& req, responder_ptr reply) {
  bool graph = ctx.dialect == dialect::graph;
  auto sig = header_value(req.headers, signature_header(ctx));
  if (sig.empty()) {
    return reject_unsigned(results, reply, req.remote);
  }
  auto key = graph ? match_sha256_signature(sig, req.body, keys)
                  : match_sha1_signature(sig, req.body, keys);
  if (key == key_origin::none) {
    return reject(results.bad_signature, reply, "bad_signature", 403, "invalid signature",
                  req.remote);
  }
  // A cluster node without NATS quorum can acknowledge nothing (DESIGN §9):
  // Meta retries a 503, so the update is delivered once the quorum is back.
  if (ctx.cluster_view) {
    auto v = ctx.cluster_view();
    if (!v->ready(std::chrono::steady_clock::now())) {
      auto r = json_error(503, v->why_not_ready.empty() ? std::string("cluster not ready")
                                                         : v->why_not_ready);
      r.headers.emplace_back("Retry-After", "5");
      return reply->respond(std::move(r));
    }
  }
  auto ids = graph ? parse_graph_update(req.body) : parse_legacy_update(req.body);
  if (!ids) {
    return reject(results.malformed, reply, "malformed", 400,
                  "not an Instagram update payload", req.remote);
  }
  results.accepted.inc();
  results.matched(key).inc();
  if (ids->empty()) {
    return reply->respond(json_response(200, {{"hinted", 0}, {"unknown", 0}}));
  }
  if (ctx.route_hints) {
    return ctx.route_hints(std::move(*ids), std::move(reply), std::chrono::steady_clock::now());
  }
  caf::anon_send(writer, hint_batch{std::move(*ids), std::move(reply),
                                    std::chrono::steady_clock::now()});
}

std::string_view path_of(const std::string& target) {
  return std::string_view{target}.substr(0, target.find('?'));
}

} // namespace

http_server::routes public_listener(context_ptr ctx, const actor_set& actors) {
  auto writer = actors.writer;
  auto front = actors.front;
  auto media = actors.media;
  auto counters = request_counters::make(ctx->stats, listener_kind::public_api);
  auto results = std::make_shared<const update_results>(ctx->stats);
  // Looked up once: the webhook path takes no route lookup per request.
  const auto* hooks = &counters->route("/hooks/instagram");
  http_server::routes routes;
  routes.on_expect = [ctx, counters, results, hooks](const http_request& head) {
    if (path_of(head.target) == "/hooks/instagram" && head.method == "POST") {
      return webhook_head(*ctx, *results, *counters, *hooks, head);
    }
    return std::optional<http_response>{};
  };
  routes.on_request = [ctx, writer, front, media, counters, results,
                       hooks](http_request req, responder_ptr reply) {
    auto path = path_of(req.target);
    if (path == "/hooks/instagram" && req.method == "POST") {
      // Keyed once per reload: the HTTP threads share the keys read-only.
      auto live = ctx->live();
      return webhook_update(*ctx, live->keys, *results, writer, req,
                            counters->wrap(std::move(reply), *hooks));
    }
    auto counted = counters->wrap(std::move(reply),
                                  counters->route(route_label(listener_kind::public_api,
                                                              req.target)));
    if (path == "/livez") {
      if (req.method == "GET" || req.method == "HEAD") {
        return counted->respond(livez());
      }
      return counted->respond(json_error(405, "method not allowed"));
    }
    if (path.substr(0, 7) == "/media/") {
      auto r = serve_media(req, ctx->cfg.media.path);
      if (r.status == 404 && ctx->media_get && media) {
        // Cluster mode: another node may have stored it (IGB_MEDIA); the
        // media store's thread copies it here and answers.
        caf::anon_send(media,
                       inbound{listener_kind::public_api, std::move(req), std::move(counted)});
        return;
      }
      return counted->respond(std::move(r));
    }
    caf::anon_send(front, inbound{listener_kind::public_api, std::move(req), std::move(counted)});
  };
  return routes;
}

http_server::routes admin_listener(context_ptr ctx, const actor_set& actors) {
  auto admin = actors.admin;
  auto counters = request_counters::make(ctx->stats, listener_kind::admin_api);
  http_server::routes routes;
  routes.on_request = [admin, counters](http_request req, responder_ptr reply) {
    auto counted = counters->wrap(std::move(reply),
                                  counters->route(route_label(listener_kind::admin_api,
                                                              req.target)));
    caf::anon_send(admin, inbound{listener_kind::admin_api, std::move(req), std::move(counted)});
  };
  return routes;
}

} // namespace igbridge
