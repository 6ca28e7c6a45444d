#pragma once
// What /metrics and /status show. read_status() queries: counters kept in
// the store by the transactions that change them, the heads of indexes and
// O(1) counts, never a scan of users or the outbox. status_json() and
// status_html() render the same struct; render_metrics() adds the store's
// gauges to the process metrics without changing them.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "igbridge/context.hpp"

namespace igbridge {

struct status_figures {
  std::string version = "0.1.0";
  std::string dialect;
  std::string sink_type;
  int64_t now = 0;
  int64_t started_at = 0;
  std::map<std::string, int64_t> users; // by state
  nlohmann::json attention = nlohmann::json::array();    // public user views
  std::vector<std::pair<std::string, int64_t>> schedule; // user, due (the next few)
  std::size_t scheduled = 0;
  std::size_t outbox = 0;
  int64_t oldest_created = 0;
  std::size_t dead = 0;
  nlohmann::json dead_letters = nlohmann::json::array();
  std::vector<std::string> held_users; // a dead letter holds their later events
  nlohmann::json latest = nlohmann::json::array(); // import records, newest first
  bool sink_gone = false;
  bool media_store = false; // thumbnails only from stored copies
  int64_t throttled_until = 0;
  std::size_t lmdb_used = 0;
  std::size_t lmdb_map = 0;
  // since start (process metrics)
  double imported = 0, skipped_untagged = 0, skipped_blocked = 0, duplicates = 0;
  double fetches_ok = 0, delivered = 0, webhook_updates = 0, webhook_rejected = 0;
  std::vector<double> chart_imports, chart_webhooks; // hourly, oldest first
  nlohmann::json cluster; // null on a single node
};

status_figures read_status(const context& ctx);

/// Cluster mode: this node's figures for its heartbeat (users by state,
/// outbox, dead letters, scheduled; JSON text), which /status sums over
/// the nodes as `cluster.totals`.
std::string node_figures(const context& ctx);
nlohmann::json status_json(const status_figures& f);
/// The self-contained HTML dashboard (inline CSS and SVG, no script).
std::string status_html(const status_figures& f);
/// Prometheus text: the metrics object plus gauges read from the store.
std::string render_metrics(const context& ctx);

} // namespace igbridge
