#pragma once
/// @brief Process metrics in Prometheus text format. Every family and every
/// value its labels may take is declared up front (metrics.cpp): a label
/// value outside that set is counted as "other", so no client can grow the
/// number of series. Cells are atomics laid out at construction, so an
/// update takes no lock; per-request paths resolve a `series` once and
/// update it with no lookup by name or label.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace igbridge {

using metric_labels = std::vector<std::pair<std::string, std::string>>;

class metrics {
  class family; // one declared family with its cells (metrics.cpp)

public:
  /// One series: a counter or gauge value, or a histogram.
  struct cell {
    std::atomic<uint64_t> bits{0};     // double bits (counters and gauges)
    std::atomic<bool> touched{false};  // rendered only once touched
    std::unique_ptr<std::atomic<uint64_t>[]> buckets; // histograms: one per bound, then +Inf
    std::atomic<uint64_t> sum_bits{0}; // histograms: double bits of the sum

    void add(double by);
    void set(double v);
    double value() const;
    void observe(double seconds);
  };

  /// One series resolved once (family and cell index): updating it takes
  /// no lock, no lookup and no allocation. A default one is a no-op.
  class series {
  public:
    series() = default;
    void inc(double by = 1) const;
    void observe(double seconds) const;

  private:
    friend class metrics;
    series(family* f, std::size_t index) : family_(f), index_(index) {
      // nop
    }
    family* family_ = nullptr;
    std::size_t index_ = 0;
  };

  metrics();
  ~metrics();
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  /// The series of `name` with `labels` (values outside the declared set
  /// become "other"); null when the family is unknown.
  cell* find(std::string_view name, const metric_labels& labels = {});

  /// The series of `name` with `labels`, for paths that update it often;
  /// a no-op series when the family is unknown.
  series at(std::string_view name, const metric_labels& labels = {});
  /// The values a label of a family may take, "other" last (empty when
  /// unknown): lets a hot path resolve one series per value up front.
  std::vector<std::string> label_values(std::string_view name, std::string_view label) const;

  void inc(std::string_view name, const metric_labels& labels = {}, double by = 1);
  void set(std::string_view name, const metric_labels& labels, double value);
  void observe(std::string_view name, const metric_labels& labels, double seconds);
  /// Value of a counter or gauge (0 when never touched).
  double value(std::string_view name, const metric_labels& labels = {}) const;

  /// Every touched series with # HELP and # TYPE lines; `extra` (already
  /// in text format, e.g. gauges read from the store) is appended.
  std::string render(const std::string& extra = {}) const;

  /// Hourly sums of a charted counter over the last `hours` hours (at most
  /// 48), oldest first. Kept in memory: a restart starts afresh.
  std::vector<double> recent(std::string_view name, const metric_labels& labels,
                             int hours) const;

  /// Number of series that can exist (a bound, whatever the traffic).
  std::size_t series_bound() const;

private:
  const family* family_of(std::string_view name) const;
  std::size_t index_of(const family& f, const metric_labels& labels) const;

  std::vector<std::unique_ptr<family>> families_;
  std::unordered_map<std::string_view, family*> by_name_;
};

/// Help text of a family (for documentation and tests); empty when unknown.
std::string metric_help(std::string_view name);

} // namespace igbridge
