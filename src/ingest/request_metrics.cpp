#include "ingest/request_metrics.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>

namespace igbridge {

namespace {

constexpr const char* requests_family = "igbridge_http_requests_total";
constexpr const char* duration_family = "igbridge_http_request_duration_seconds";

/// Paths that are their own route label, per listener.
const std::vector<const char*> public_paths{
  "/livez", "/oauth/instagram/start", "/oauth/instagram/callback", "/hooks/instagram",
  "/hooks/instagram/deauthorize", "/hooks/instagram/data-deletion",
  "/hooks/instagram/deletion"};
const std::vector<const char*> admin_paths{"/readyz", "/livez",  "/metrics",
                                           "/status", "/users", "/outbox"};
/// The other labels route_label gives: paths with ids folded, and the rest.
const std::vector<const char*> public_folded{"/media/{file}", "other"};
const std::vector<const char*> admin_folded{"/users/{id}", "/users/{id}/fetch",
                                            "/users/{id}/rules", "/outbox/{id}/replay", "other"};

class counting final : public responder {
public:
  counting(responder_ptr inner, std::shared_ptr<const request_counters> owner,
           const request_counters::route_series& series)
    : inner_(std::move(inner)), owner_(std::move(owner)), series_(series) {
    // nop
  }

  void respond(http_response r) override {
    if (!counted_.exchange(true)) {
      series_.status(r.status).inc();
      series_.duration.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    }
    inner_->respond(std::move(r));
  }

private:
  responder_ptr inner_;
  std::shared_ptr<const request_counters> owner_; // keeps series_ alive
  const request_counters::route_series& series_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::atomic<bool> counted_{false};
};

} // namespace

std::string route_label(listener_kind kind, const std::string& target) {
  auto path = target.substr(0, target.find('?'));
  if (kind == listener_kind::public_api && path.rfind("/media/", 0) == 0) {
    return "/media/{file}";
  }
  if (kind == listener_kind::public_api) {
    for (auto r : public_paths) {
      if (path == r) {
        return path;
      }
    }
    return "other";
  }
  for (auto r : admin_paths) {
    if (path == r) {
      return path;
    }
  }
  // Ids are folded and only known tails are named: the label set is fixed
  // whatever paths clients make up.
  if (path.rfind("/users/", 0) == 0) {
    auto rest = path.substr(7);
    auto slash = rest.find('/');
    if (slash == std::string::npos) {
      return "/users/{id}";
    }
    auto tail = rest.substr(slash);
    return tail == "/fetch" || tail == "/rules" ? "/users/{id}" + tail : "other";
  }
  if (path.rfind("/outbox/", 0) == 0 && path.size() > 15
      && path.compare(path.size() - 7, 7, "/replay") == 0) {
    return "/outbox/{id}/replay";
  }
  return "other";
}

// -- request_counters -------------------------------------------------------------

const metrics::series& request_counters::route_series::status(int code) const {
  for (const auto& [c, s] : by_status) {
    if (c == code) {
      return s;
    }
  }
  return other_status;
}

request_counters::request_counters(metrics& stats, listener_kind kind) {
  bool pub = kind == listener_kind::public_api;
  const char* listener = pub ? "public" : "admin";
  auto labels = pub ? public_paths : admin_paths;
  for (auto l : pub ? public_folded : admin_folded) {
    labels.push_back(l);
  }
  for (auto route : labels) {
    route_series rs;
    rs.duration = stats.at(duration_family, {{"route", route}});
    for (const auto& status : stats.label_values(requests_family, "status")) {
      auto s = stats.at(requests_family,
                        {{"listener", listener}, {"route", route}, {"status", status}});
      if (status == "other") {
        rs.other_status = s;
      } else {
        rs.by_status.emplace_back(std::atoi(status.c_str()), s);
      }
    }
    routes_.emplace(route, std::move(rs));
  }
}

std::shared_ptr<const request_counters> request_counters::make(metrics& stats,
                                                               listener_kind kind) {
  return std::shared_ptr<const request_counters>(new request_counters(stats, kind));
}

const request_counters::route_series& request_counters::route(const std::string& label) const {
  auto i = routes_.find(label);
  return i != routes_.end() ? i->second : routes_.at("other");
}

responder_ptr request_counters::wrap(responder_ptr inner, const route_series& route) const {
  return std::make_shared<counting>(std::move(inner), shared_from_this(), route);
}

} // namespace igbridge
