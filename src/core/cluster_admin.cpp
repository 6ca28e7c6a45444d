// Admin calls relayed to a user's owner (cluster_admin.hpp). The request
// and the answer travel as JSON; admin answers are JSON or text.

#include "core/cluster_admin.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "api/responses.hpp"
#include "igbridge/cluster/rpc.hpp"
#include "igbridge/cluster/sharding.hpp"
#include "igbridge/http_server.hpp"
#include "igbridge/log.hpp"

namespace igbridge {

namespace {

/// The owner's admin actor has this long; the asking node waits a little
/// longer for the relay.
constexpr auto relay_timeout = std::chrono::seconds(10);

nlohmann::json headers_json(const header_list& h) {
  auto out = nlohmann::json::array();
  for (const auto& [k, v] : h) {
    out.push_back({k, v});
  }
  return out;
}

header_list headers_of(const nlohmann::json& j) {
  header_list out;
  for (const auto& kv : j) {
    out.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::string>());
  }
  return out;
}

/// Sends the owner's answer back over NATS.
class relay_responder : public responder {
public:
  explicit relay_responder(cluster::shard_rpc::answer reply) : reply_(std::move(reply)) {}
  void respond(http_response r) override {
    nlohmann::json j{{"status", r.status}, {"headers", headers_json(r.headers)}, {"body", r.body}};
    reply_(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }

private:
  cluster::shard_rpc::answer reply_;
};

} // namespace

struct cluster_admin::parts {
  std::unique_ptr<cluster::shard_rpc> rpc;
};

cluster_admin::cluster_admin(context& ctx, uint32_t shards, route_actor admin)
  : ctx_(ctx), shards_(shards), admin_(std::move(admin)) {
  // nop
}

cluster_admin::~cluster_admin() {
  stop();
}

void cluster_admin::joined(cluster::cluster_link& link) {
  auto p = std::make_shared<parts>();
  auto admin = admin_;
  p->rpc = std::make_unique<cluster::shard_rpc>(
    link, [admin](uint32_t, std::string request, cluster::shard_rpc::answer reply) {
      auto j = nlohmann::json::parse(request, nullptr, false);
      auto out = std::make_shared<relay_responder>(std::move(reply));
      if (!j.is_object()) {
        return out->respond(json_error(400, "unreadable relayed request"));
      }
      try {
        http_request req;
        req.method = j.at("method").get<std::string>();
        req.target = j.at("target").get<std::string>();
        req.headers = headers_of(j.at("headers"));
        req.headers.emplace_back(relayed_header, "1");
        req.body = j.at("body").get<std::string>();
        req.remote = j.at("remote").get<std::string>();
        caf::anon_send(admin, inbound{listener_kind::admin_api, std::move(req), out});
      } catch (const std::exception&) {
        out->respond(json_error(400, "unreadable relayed request"));
      }
    });
  parts_ = std::move(p);
  ready_.store(true, std::memory_order_release);
}

void cluster_admin::serve(uint32_t shard) {
  if (!ready_.load(std::memory_order_acquire)) {
    return;
  }
  if (auto st = parts_->rpc->serve(shard); !st.ok()) {
    log(log_level::warning, "cluster.rpc_serve_failed",
        {{"shard", std::to_string(shard)}, {"error", st.message}});
  }
}

void cluster_admin::unserve(uint32_t shard) {
  if (ready_.load(std::memory_order_acquire)) {
    parts_->rpc->unserve(shard);
  }
}

void cluster_admin::stop() {
  if (ready_.exchange(false) && parts_) {
    parts_->rpc->unserve_all();
  }
}

void cluster_admin::ask_owner(const std::string& user, const http_request& req,
                              std::function<void(http_response)> done) {
  if (!ready_.load(std::memory_order_acquire)) {
    auto r = json_error(503, "not joined to the cluster yet");
    r.headers.emplace_back("Retry-After", "5");
    return done(std::move(r));
  }
  nlohmann::json j{{"method", req.method},   {"target", req.target},
                   {"headers", headers_json(req.headers)}, {"body", req.body},
                   {"remote", req.remote}};
  auto shard = cluster::shard_of(user, shards_);
  parts_->rpc->ask(
    shard, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
    std::chrono::duration_cast<std::chrono::milliseconds>(relay_timeout) + std::chrono::seconds(2),
    [done = std::move(done), shard](cluster::result<std::string> r) {
      if (!r.ok()) {
        // Nobody serves the shard right now (a failover under way), or the
        // owner did not answer: try again shortly.
        auto e = json_error(503, "the owner of shard " + std::to_string(shard)
                                   + " did not answer: " + r.st.message);
        e.headers.emplace_back("Retry-After", "2");
        return done(std::move(e));
      }
      auto j = nlohmann::json::parse(r.value, nullptr, false);
      http_response out;
      try {
        out.status = j.at("status").get<int>();
        out.headers = headers_of(j.at("headers"));
        out.body = j.at("body").get<std::string>();
      } catch (const std::exception&) {
        out = json_error(502, "unreadable answer from the owner of shard " + std::to_string(shard));
      }
      done(std::move(out));
    });
}

} // namespace igbridge
