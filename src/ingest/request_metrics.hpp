#pragma once
// Counting every answer by listener, route and status: a responder that
// wraps the listener's own and records the status it is given.

#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "igbridge/http_server.hpp"
#include "igbridge/messages.hpp"
#include "igbridge/metrics.hpp"

namespace igbridge {

/// The route a target belongs to, with ids folded ("/users/{id}"), so the
/// label set stays small whatever clients send.
std::string route_label(listener_kind kind, const std::string& target);

/// The series one listener counts its answers in, resolved when the
/// listener is built: counting an answer then takes no lookup by name, no
/// label strings and no lock.
class request_counters : public std::enable_shared_from_this<request_counters> {
public:
  /// One route's series: its duration histogram and a counter per status.
  struct route_series {
    metrics::series duration;
    std::vector<std::pair<int, metrics::series>> by_status;
    metrics::series other_status;

    const metrics::series& status(int code) const;
  };

  static std::shared_ptr<const request_counters> make(metrics& stats, listener_kind kind);

  /// The series of `route` (a route_label value; "other" when unknown).
  /// They live as long as this object: a listener may look a route up once.
  const route_series& route(const std::string& label) const;

  /// `inner`, wrapped so that its answer is counted in `route` and timed
  /// from now.
  responder_ptr wrap(responder_ptr inner, const route_series& route) const;

private:
  request_counters(metrics& stats, listener_kind kind);

  std::unordered_map<std::string, route_series> routes_; // read-only once built
};

} // namespace igbridge
