#pragma once

#include "app.hpp"
#include "http_types.hpp"

#include <optional>

namespace fakegram {

/// What `begin` decided for a request: the fault it consumed, if any.
struct plan {
  std::optional<fault> injected;
  int delay_ms() const { return injected ? injected->delay_ms : 0; }
};

/// Maps requests to handlers. Split in two steps so the session can wait an
/// injected delay on a timer between them without blocking a thread.
class router {
public:
  explicit router(app& a);

  /// Counts the call in the stats and takes a pending fault, when the request
  /// is a provider API call.
  plan begin(const request& req);

  /// Produces the answer (the injected fault, or the real one). Never throws.
  reply finish(const request& req, const plan& p);

private:
  reply dispatch(const request& req);
  reply dispatch_graph(const request& req, std::vector<std::string> seg);
  reply dispatch_legacy(const request& req, const std::vector<std::string>& seg);

  app& app_;
};

} // namespace fakegram
