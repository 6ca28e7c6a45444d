#pragma once
/// @brief Process metrics in Prometheus text format. Counters, gauges and
/// histograms are keyed by name plus a rendered label set; updates are
/// short critical sections on the metrics object only, never on actor state.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace igbridge {

using metric_labels = std::vector<std::pair<std::string, std::string>>;

class metrics {
public:
  metrics();

  void inc(std::string_view name, const metric_labels& labels = {}, double by = 1);
  void set(std::string_view name, const metric_labels& labels, double value);
  void observe(std::string_view name, const metric_labels& labels, double seconds);

  /// Value of a counter or gauge (0 when never touched).
  double value(std::string_view name, const metric_labels& labels = {}) const;

  /// Renders every family with # HELP and # TYPE lines.
  std::string render() const;

  /// Hourly sums of a counter's increments over the last `hours` hours,
  /// oldest first, for charts. Kept in memory: a restart starts afresh.
  std::vector<double> recent(std::string_view name, const metric_labels& labels,
                             int hours) const;

private:
  friend void describe_metrics(metrics& m);
  struct family {
    std::string type; // counter | gauge | histogram
    std::string help;
    std::map<std::string, double> values;                 // label text → value
    std::map<std::string, std::vector<uint64_t>> buckets; // histograms
    std::map<std::string, std::pair<double, uint64_t>> sums;
  };
  family& fam(std::string_view name);
  void note_recent(const std::string& key, double by);

  mutable std::mutex mutex_;
  std::map<std::string, family, std::less<>> families_;
  std::map<std::string, std::map<int64_t, double>, std::less<>> hourly_;
};

/// Declares the help text and type of each known family.
void describe_metrics(metrics& m);

} // namespace igbridge
