#include "igbridge/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <sstream>

namespace igbridge {

namespace {

/// Latency buckets in seconds, from a fast local commit to a slow provider.
constexpr double bucket_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                    1,     2.5,  5,     10,   30,  60};
constexpr std::size_t bucket_count = sizeof(bucket_bounds) / sizeof(bucket_bounds[0]);

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string label_text(const metric_labels& labels) {
  std::string s;
  for (const auto& [k, v] : labels) {
    s += s.empty() ? "" : ",";
    s += k + "=\"" + escape_label(v) + "\"";
  }
  return s;
}

std::string braces(const std::string& labels, const std::string& extra = {}) {
  std::string inner = labels;
  if (!extra.empty()) {
    inner += inner.empty() ? extra : "," + extra;
  }
  return inner.empty() ? std::string{} : "{" + inner + "}";
}

std::string number(double v) {
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.6g", v);
  }
  return buf;
}

} // namespace

metrics::metrics() {
  describe_metrics(*this);
}

metrics::family& metrics::fam(std::string_view name) {
  auto i = families_.find(name);
  if (i == families_.end()) {
    i = families_.emplace(std::string(name), family{}).first;
    auto n = std::string(name);
    i->second.type = n.size() > 6 && n.compare(n.size() - 6, 6, "_total") == 0 ? "counter"
                                                                                : "gauge";
  }
  return i->second;
}

void metrics::note_recent(const std::string& key, double by) {
  auto hour = static_cast<int64_t>(std::time(nullptr)) / 3600;
  auto& h = hourly_[key];
  h[hour] += by;
  while (!h.empty() && h.begin()->first < hour - 48) {
    h.erase(h.begin());
  }
}

void metrics::inc(std::string_view name, const metric_labels& labels, double by) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto labels_text = label_text(labels);
  fam(name).values[labels_text] += by;
  note_recent(std::string(name) + braces(labels_text), by);
}

void metrics::set(std::string_view name, const metric_labels& labels, double value) {
  std::lock_guard<std::mutex> guard{mutex_};
  fam(name).values[label_text(labels)] = value;
}

void metrics::observe(std::string_view name, const metric_labels& labels, double seconds) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& f = fam(name);
  f.type = "histogram";
  auto key = label_text(labels);
  auto& b = f.buckets[key];
  b.resize(bucket_count, 0);
  for (std::size_t i = 0; i < bucket_count; ++i) {
    if (seconds <= bucket_bounds[i]) {
      ++b[i];
    }
  }
  auto& s = f.sums[key];
  s.first += seconds;
  s.second += 1;
}

double metrics::value(std::string_view name, const metric_labels& labels) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = families_.find(name);
  if (i == families_.end()) {
    return 0;
  }
  auto j = i->second.values.find(label_text(labels));
  return j == i->second.values.end() ? 0 : j->second;
}

std::vector<double> metrics::recent(std::string_view name, const metric_labels& labels,
                                    int hours) const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::vector<double> out(static_cast<std::size_t>(hours), 0);
  auto i = hourly_.find(std::string(name) + braces(label_text(labels)));
  if (i == hourly_.end()) {
    return out;
  }
  auto now_hour = static_cast<int64_t>(std::time(nullptr)) / 3600;
  for (const auto& [hour, v] : i->second) {
    auto age = now_hour - hour;
    if (age >= 0 && age < hours) {
      out[static_cast<std::size_t>(hours - 1 - age)] += v;
    }
  }
  return out;
}

std::string metrics::render() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::ostringstream out;
  for (const auto& [name, f] : families_) {
    if (f.values.empty() && f.buckets.empty()) {
      continue; // nothing observed yet: no series rather than a phantom one
    }
    out << "# HELP " << name << ' ' << (f.help.empty() ? name : f.help) << '\n';
    out << "# TYPE " << name << ' ' << f.type << '\n';
    if (f.type == "histogram") {
      for (const auto& [labels, b] : f.buckets) {
        for (std::size_t i = 0; i < bucket_count; ++i) {
          out << name << "_bucket" << braces(labels, "le=\"" + number(bucket_bounds[i]) + "\"")
              << ' ' << b[i] << '\n';
        }
        auto& s = f.sums.at(labels);
        out << name << "_bucket" << braces(labels, "le=\"+Inf\"") << ' ' << s.second << '\n';
        out << name << "_sum" << braces(labels) << ' ' << number(s.first) << '\n';
        out << name << "_count" << braces(labels) << ' ' << s.second << '\n';
      }
      continue;
    }
    for (const auto& [labels, v] : f.values) {
      out << name << braces(labels) << ' ' << number(v) << '\n';
    }
  }
  return out.str();
}

void describe_metrics(metrics& m) {
  struct d {
    const char* name;
    const char* type;
    const char* help;
  };
  static const d known[] = {
    {"igbridge_http_requests_total", "counter", "HTTP requests served, by listener, route and status"},
    {"igbridge_webhook_updates_total", "counter", "Webhook deliveries from Instagram, by result"},
    {"igbridge_webhook_hints_total", "counter", "Fetch hints from webhooks, by result"},
    {"igbridge_webhook_commits_total", "counter", "LMDB commits recording webhook hints (one per payload)"},
    {"igbridge_fetches_total", "counter", "Provider media fetches, by outcome"},
    {"igbridge_media_total", "counter", "Media items looked at, by result"},
    {"igbridge_deliveries_total", "counter", "Sink deliveries, by outcome"},
    {"igbridge_link_attempts_total", "counter", "Account link attempts, by outcome"},
    {"igbridge_link_revocations_total", "counter", "Links lost, by reason"},
    {"igbridge_webhook_ack_duration_seconds", "histogram", "Time from webhook receipt to 200"},
    {"igbridge_fetch_duration_seconds", "histogram", "Duration of a user's fetch"},
    {"igbridge_delivery_duration_seconds", "histogram", "Duration of one sink delivery"},
  };
  for (const auto& k : known) {
    auto& f = m.fam(k.name);
    f.type = k.type;
    f.help = k.help;
  }
}

} // namespace igbridge
