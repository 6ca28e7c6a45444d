#pragma once
// What /metrics and /status show: counters from the metrics object plus
// figures read from LMDB at request time (users by state, outbox depth).

#include <string>

#include <nlohmann/json.hpp>

#include "igbridge/context.hpp"

namespace igbridge {

/// Prometheus text: the metrics object plus gauges computed from the store.
std::string render_metrics(const context& ctx);
nlohmann::json status_json(const context& ctx);
/// The self-contained HTML dashboard for the same figures.
std::string status_html(const context& ctx, const nlohmann::json& status);

} // namespace igbridge
