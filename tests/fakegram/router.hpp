#pragma once

#include "app.hpp"
#include "http_types.hpp"

#include <optional>
#include <string>

namespace fakegram {

/// What a request is, for counting and faulting.
enum class request_kind {
  control,  ///< /_fake/…: neither counted nor faulted
  page,     ///< demo page, permalinks: neither counted nor faulted
  consent,  ///< the authorize dialog: counted, never faulted (a person is looking at it)
  provider, ///< the API igbridge calls: counted and faulted (target "api")
  cdn,      ///< media downloads: counted as "GET /cdn", faulted (target "cdn")
};

/// What `begin` decided for a request.
struct plan {
  request_kind kind = request_kind::page;
  std::string account_id; ///< whose token the call uses (or whose file it fetches); "" none
  std::optional<fault> injected;
  int delay_ms() const { return injected ? injected->delay_ms : 0; }
};

/// Maps requests to handlers. Split in two steps so the session can wait an
/// injected delay on a timer between them without blocking a thread.
class router {
public:
  explicit router(app& a);

  /// Counts the call in the stats and takes a pending fault that applies to it.
  plan begin(const request& req);

  /// Produces the answer (the injected fault, or the real one). Never throws.
  reply finish(const request& req, const plan& p);

private:
  reply dispatch(const request& req, const plan& p);
  reply dispatch_graph(const request& req, std::vector<std::string> seg);
  reply dispatch_legacy(const request& req, const std::vector<std::string>& seg);

  app& app_;
};

} // namespace fakegram
