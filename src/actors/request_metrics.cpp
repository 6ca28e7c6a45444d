#include "request_metrics.hpp"

#include <array>
#include <chrono>

#include "igbridge/metrics.hpp"

namespace igbridge {

namespace {

class counting final : public responder {
public:
  counting(responder_ptr inner, metrics& stats, listener_kind kind, const std::string& route)
    : inner_(std::move(inner)), stats_(stats), kind_(kind), route_(route),
      duration_(stats.find("igbridge_http_request_duration_seconds", {{"route", route}})) {
    // nop
  }

  void respond(http_response r) override {
    if (!counted_.exchange(true)) {
      stats_.inc("igbridge_http_requests_total",
                 {{"listener", kind_ == listener_kind::public_api ? "public" : "admin"},
                  {"route", route_},
                  {"status", std::to_string(r.status)}});
      if (duration_ != nullptr) {
        duration_->observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
      }
    }
    inner_->respond(std::move(r));
  }

private:
  responder_ptr inner_;
  metrics& stats_;
  listener_kind kind_;
  std::string route_;
  metrics::cell* duration_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::atomic<bool> counted_{false};
};

} // namespace

std::string route_label(listener_kind kind, const std::string& target) {
  auto path = target.substr(0, target.find('?'));
  static const std::array<const char*, 7> public_routes{
    "/livez", "/oauth/instagram/start", "/oauth/instagram/callback", "/hooks/instagram",
    "/hooks/instagram/deauthorize", "/hooks/instagram/data-deletion",
    "/hooks/instagram/deletion"};
  if (kind == listener_kind::public_api && path.rfind("/media/", 0) == 0) {
    return "/media/{file}";
  }
  static const std::array<const char*, 6> admin_routes{"/readyz", "/livez",  "/metrics",
                                                       "/status", "/users", "/outbox"};
  if (kind == listener_kind::public_api) {
    for (auto r : public_routes) {
      if (path == r) {
        return path;
      }
    }
    return "other";
  }
  for (auto r : admin_routes) {
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

responder_ptr counting_responder(responder_ptr inner, metrics& stats, listener_kind kind,
                                 const std::string& route) {
  return std::make_shared<counting>(std::move(inner), stats, kind, route);
}

} // namespace igbridge
