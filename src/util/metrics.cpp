// The metric families igbridge exports and their storage. Every family
// lists the values each label may take, so the series set is fixed at
// start: unknown values fold into "other", whatever a client sends. Cells
// are atomics in vectors sized once, so updates need no lock.

#include "igbridge/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <sstream>

namespace igbridge {

namespace {

/// Latency buckets in seconds, from a fast local commit to a slow provider.
constexpr double bucket_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                    0.25,   0.5,   1,      2.5,   5,    10,    30,   60};
constexpr std::size_t bucket_count = sizeof(bucket_bounds) / sizeof(bucket_bounds[0]);
constexpr int hours_kept = 48;

enum class kind { counter, gauge, histogram };

struct label_decl {
  const char* name;
  std::vector<const char*> values; // "other" is implied
};

struct family_decl {
  const char* name;
  kind type;
  const char* help;
  std::vector<label_decl> labels;
  bool charted = false; // hourly sums kept for the dashboard
};

const std::vector<const char*> http_routes{
  "/livez", "/readyz", "/metrics", "/status", "/oauth/instagram/start",
  "/oauth/instagram/callback", "/hooks/instagram", "/hooks/instagram/deauthorize",
  "/hooks/instagram/data-deletion", "/hooks/instagram/deletion", "/media/{file}", "/users",
  "/users/{id}", "/users/{id}/fetch", "/users/{id}/rules", "/outbox", "/outbox/{id}/replay"};

const std::vector<const char*> http_statuses{
  "200", "201", "202", "204", "206", "302", "304", "400", "401", "403", "404", "405",
  "409", "410", "413", "416", "429", "431", "500", "502", "503", "504"};

const std::vector<const char*> fetch_outcomes{
  "ok", "token_invalid", "rate_limited", "transient", "server", "transport", "malformed", "denied",
  "permission", "storage"};

const std::vector<family_decl>& declarations() {
  static const std::vector<family_decl> decls{
    {"igbridge_http_requests_total", kind::counter,
     "HTTP requests served, by listener, route and status",
     {{"listener", {"public", "admin"}}, {"route", http_routes}, {"status", http_statuses}}},
    {"igbridge_http_request_duration_seconds", kind::histogram,
     "Time from a request read to its answer, by route", {{"route", http_routes}}},
    {"igbridge_connections_refused_total", kind::counter,
     "Connections closed at once because the listener was full",
     {{"listener", {"public", "admin"}}}},
    {"igbridge_open_connections", kind::gauge, "Connections open, by listener",
     {{"listener", {"public", "admin"}}}},
    {"igbridge_webhook_updates_total", kind::counter,
     "Webhook deliveries from Instagram, by result",
     {{"result",
       {"accepted", "missing_signature", "bad_signature", "malformed", "verify_refused",
        "bad_signed_request", "stale_signed_request", "commit_failed"}}},
     true},
    {"igbridge_signature_key_total", kind::counter,
     "Verified webhooks and signed_requests, by the secret that signed them",
     {{"key", {"instagram", "meta", "extra"}}}},
    {"igbridge_reloads_total", kind::counter, "Reloads (SIGHUP), by result",
     {{"result", {"ok", "failed"}}}},
    {"igbridge_webhook_hints_total", kind::counter, "Fetch hints from webhooks, by result",
     {{"result", {"scheduled", "published", "unknown_account"}}}},
    {"igbridge_webhook_commits_total", kind::counter,
     "LMDB commits that recorded webhook hints (many payloads may share one)", {}},
    {"igbridge_webhook_ack_duration_seconds", kind::histogram,
     "Time from webhook receipt to 200", {}},
    {"igbridge_cluster_changelog_appends_total", kind::counter,
     "A commit's part for one shard appended to the shard's changelog, by result",
     {{"result", {"ok", "fenced", "failed"}}}},
    {"igbridge_cluster_changelog_retries_total", kind::counter,
     "Changelog appends sent again after a passing failure (no leader, no answer)", {}},
    {"igbridge_cluster_media_copied_total", kind::counter,
     "Stored media copied here from IGB_MEDIA to serve them", {}},
    {"igbridge_cluster_unowned_changes_total", kind::counter,
     "Commit parts for shards this node did not own, not published", {}},
    {"igbridge_cluster_restores_total", kind::counter,
     "Shards restored here from their snapshot and changelog", {}},
    {"igbridge_cluster_snapshots_total", kind::counter,
     "Shard snapshots written (the changelog they cover then dropped)", {}},
    {"igbridge_cluster_hint_routes_total", kind::counter,
     "Webhooks whose hints were published to their shards, by result",
     {{"result", {"stored", "failed"}}}},
    {"igbridge_cluster_index_mirror_failures_total", kind::counter,
     "Instagram-id index changes not mirrored into the replicated bucket", {}},
    {"igbridge_store_commits_total", kind::counter,
     "Group commits of the writer (many actors' transactions per fsync)", {}},
    {"igbridge_store_jobs_total", kind::counter, "Transactions run by the writer, by result",
     {{"result", {"ok", "failed"}}}},
    {"igbridge_store_map_growths_total", kind::counter, "Times the LMDB map was grown", {}},
    {"igbridge_store_commit_duration_seconds", kind::histogram,
     "Duration of one group commit, fsync included", {}},
    {"igbridge_fetches_total", kind::counter, "Provider media fetches, by outcome",
     {{"outcome", fetch_outcomes}}},
    {"igbridge_fetch_duration_seconds", kind::histogram, "Duration of a user's fetch", {}},
    {"igbridge_media_total", kind::counter, "Media items looked at, by result",
     {{"result", {"imported", "untagged", "blocked", "duplicate", "rejudged"}}},
     true},
    {"igbridge_media_downloads_total", kind::counter, "Media files downloaded, by result",
     {{"result", {"stored", "reused", "failed", "too_large", "bad_type"}}}},
    {"igbridge_media_downloads_in_flight", kind::gauge, "Media downloads under way", {}},
    {"igbridge_media_download_window", kind::gauge,
     "Media downloads allowed in flight now (adapts up to media.concurrency)", {}},
    {"igbridge_media_store_batches_total", kind::counter,
     "Batches of downloaded files synced and renamed together by the media store", {}},
    {"igbridge_media_store_batch_duration_seconds", kind::histogram,
     "Duration of one media store batch, fsyncs included", {}},
    {"igbridge_media_rereads_total", kind::counter,
     "Posts read again for fresh media URLs, by result", {{"result", {"ok", "failed"}}}},
    {"igbridge_deliveries_total", kind::counter, "Sink deliveries, by outcome",
     {{"outcome", {"delivered", "retry", "dead", "gone", "skipped"}}}},
    {"igbridge_delivery_duration_seconds", kind::histogram,
     "Duration of one sink delivery, by sink", {{"sink", {"jsonl", "webhook", "micropub"}}}},
    {"igbridge_link_attempts_total", kind::counter, "Account link attempts, by outcome",
     {{"outcome",
       {"started", "connected", "denied", "provider_error", "storage_error", "link_expired",
        "link_invalid", "state_missing", "state_unknown", "state_expired", "cookie_mismatch",
        "missing_code", "too_many_states", "cancel_unidentified"}}}},
    {"igbridge_link_revocations_total", kind::counter, "Links lost, by reason",
     {{"reason", {"token_invalid", "permission", "refresh_failed", "deauthorized",
                  "data_deletion"}}}},
    {"igbridge_token_refreshes_total", kind::counter, "Token refreshes, by outcome",
     {{"outcome", {"ok", "failed"}}}},
    {"igbridge_provider_rate_limits_total", kind::counter,
     "Rate limits met, by scope (the app as a whole, or one account)",
     {{"scope", {"app", "account"}}}},
    {"igbridge_user_activations_total", kind::counter, "User actors activated", {}},
    {"igbridge_user_passivations_total", kind::counter, "User actors passivated when idle", {}},
    {"igbridge_user_actors", kind::gauge, "User actors active now", {}},
    {"igbridge_wakes_total", kind::counter, "Users woken by the scheduler", {}},
    {"igbridge_wakes_refused_total", kind::counter,
     "Wakes refused by the registry: the user's shard is not served here (cluster)", {}},
  };
  return decls;
}

uint64_t to_bits(double v) {
  uint64_t b = 0;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

double from_bits(uint64_t b) {
  double v = 0;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

void atomic_add(std::atomic<uint64_t>& bits, double by) {
  auto old = bits.load(std::memory_order_relaxed);
  while (!bits.compare_exchange_weak(old, to_bits(from_bits(old) + by),
                                     std::memory_order_relaxed)) {
    // retry with the fresh value
  }
}

std::string escape_label(std::string_view v) {
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

int64_t current_hour() {
  return static_cast<int64_t>(std::time(nullptr)) / 3600;
}

} // namespace

// -- cells ------------------------------------------------------------------------

void metrics::cell::add(double by) {
  atomic_add(bits, by);
  touched.store(true, std::memory_order_relaxed);
}

void metrics::cell::set(double v) {
  bits.store(to_bits(v), std::memory_order_relaxed);
  touched.store(true, std::memory_order_relaxed);
}

double metrics::cell::value() const {
  return from_bits(bits.load(std::memory_order_relaxed));
}

void metrics::cell::observe(double seconds) {
  if (!buckets) {
    return;
  }
  for (std::size_t i = 0; i < bucket_count; ++i) {
    if (seconds <= bucket_bounds[i]) {
      buckets[i].fetch_add(1, std::memory_order_relaxed);
    }
  }
  buckets[bucket_count].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_bits, seconds);
  touched.store(true, std::memory_order_relaxed);
}

// -- families -----------------------------------------------------------------------

class metrics::family {
public:
  const family_decl* decl;
  std::vector<std::vector<std::string>> values; // per label, "other" last
  std::vector<cell> cells;                      // row-major over the labels
  // charted families: per cell, hours_kept slots of (hour, sum bits)
  std::unique_ptr<std::atomic<int64_t>[]> hour_tags;
  std::unique_ptr<std::atomic<uint64_t>[]> hour_sums;
};

// -- series -----------------------------------------------------------------------

void metrics::series::inc(double by) const {
  if (family_ == nullptr) {
    return;
  }
  auto& f = *family_;
  f.cells[index_].add(by);
  if (f.hour_tags) {
    auto hour = current_hour();
    auto slot = index_ * hours_kept + static_cast<std::size_t>(hour % hours_kept);
    if (f.hour_tags[slot].exchange(hour) != hour) {
      f.hour_sums[slot].store(0); // a new hour in this slot: start over
    }
    atomic_add(f.hour_sums[slot], by);
  }
}

void metrics::series::observe(double seconds) const {
  if (family_ != nullptr) {
    family_->cells[index_].observe(seconds);
  }
}

// -- construction and lookup ---------------------------------------------------------

metrics::metrics() {
  for (const auto& d : declarations()) {
    auto f = std::make_unique<family>();
    f->decl = &d;
    std::size_t n = 1;
    for (const auto& l : d.labels) {
      std::vector<std::string> vals(l.values.begin(), l.values.end());
      vals.emplace_back("other");
      n *= vals.size();
      f->values.push_back(std::move(vals));
    }
    f->cells = std::vector<cell>(n);
    if (d.type == kind::histogram) {
      for (auto& c : f->cells) {
        c.buckets = std::make_unique<std::atomic<uint64_t>[]>(bucket_count + 1);
      }
    }
    if (d.charted) {
      f->hour_tags = std::make_unique<std::atomic<int64_t>[]>(n * hours_kept);
      f->hour_sums = std::make_unique<std::atomic<uint64_t>[]>(n * hours_kept);
    }
    by_name_.emplace(d.name, f.get());
    families_.push_back(std::move(f));
  }
}

metrics::~metrics() = default;

const metrics::family* metrics::family_of(std::string_view name) const {
  auto i = by_name_.find(name);
  return i == by_name_.end() ? nullptr : i->second;
}

std::size_t metrics::index_of(const family& f, const metric_labels& labels) const {
  std::size_t index = 0;
  for (std::size_t li = 0; li < f.values.size(); ++li) {
    const auto& vals = f.values[li];
    std::size_t pick = vals.size() - 1; // "other"
    for (const auto& [k, v] : labels) {
      if (k != f.decl->labels[li].name) {
        continue;
      }
      for (std::size_t vi = 0; vi < vals.size(); ++vi) {
        if (vals[vi] == v) {
          pick = vi;
          break;
        }
      }
    }
    index = index * vals.size() + pick;
  }
  return index;
}

metrics::cell* metrics::find(std::string_view name, const metric_labels& labels) {
  auto* f = const_cast<family*>(family_of(name));
  return f == nullptr ? nullptr : &f->cells[index_of(*f, labels)];
}

metrics::series metrics::at(std::string_view name, const metric_labels& labels) {
  auto* f = const_cast<family*>(family_of(name));
  return f == nullptr ? series{} : series{f, index_of(*f, labels)};
}

std::vector<std::string> metrics::label_values(std::string_view name,
                                               std::string_view label) const {
  if (const auto* f = family_of(name)) {
    for (std::size_t li = 0; li < f->values.size(); ++li) {
      if (label == f->decl->labels[li].name) {
        return f->values[li];
      }
    }
  }
  return {};
}

void metrics::inc(std::string_view name, const metric_labels& labels, double by) {
  at(name, labels).inc(by);
}

void metrics::set(std::string_view name, const metric_labels& labels, double value) {
  if (auto* c = find(name, labels)) {
    c->set(value);
  }
}

void metrics::observe(std::string_view name, const metric_labels& labels, double seconds) {
  if (auto* c = find(name, labels)) {
    c->observe(seconds);
  }
}

double metrics::value(std::string_view name, const metric_labels& labels) const {
  const auto* f = family_of(name);
  return f == nullptr ? 0 : f->cells[index_of(*f, labels)].value();
}

std::vector<double> metrics::recent(std::string_view name, const metric_labels& labels,
                                    int hours) const {
  hours = std::max(0, std::min(hours, hours_kept));
  std::vector<double> out(static_cast<std::size_t>(hours), 0);
  const auto* f = family_of(name);
  if (f == nullptr || !f->hour_tags) {
    return out;
  }
  auto i = index_of(*f, labels);
  auto now = current_hour();
  for (int age = 0; age < hours; ++age) {
    auto hour = now - age;
    auto slot = i * hours_kept + static_cast<std::size_t>(hour % hours_kept);
    if (f->hour_tags[slot].load() == hour) {
      out[static_cast<std::size_t>(hours - 1 - age)] = from_bits(f->hour_sums[slot].load());
    }
  }
  return out;
}

std::size_t metrics::series_bound() const {
  std::size_t n = 0;
  for (const auto& f : families_) {
    n += f->cells.size() * (f->decl->type == kind::histogram ? bucket_count + 3 : 1);
  }
  return n;
}

std::string metrics::render(const std::string& extra) const {
  std::ostringstream out;
  for (const auto& f : families_) {
    const auto& d = *f->decl;
    bool header = false;
    for (std::size_t i = 0; i < f->cells.size(); ++i) {
      const auto& c = f->cells[i];
      if (!c.touched.load(std::memory_order_relaxed)) {
        continue; // nothing observed yet: no series rather than a phantom one
      }
      if (!header) {
        header = true;
        out << "# HELP " << d.name << ' ' << d.help << '\n';
        out << "# TYPE " << d.name << ' '
            << (d.type == kind::counter ? "counter"
                : d.type == kind::gauge ? "gauge"
                                        : "histogram")
            << '\n';
      }
      // Label text from the cell's position, last label fastest.
      std::vector<std::string> parts(f->values.size());
      auto rest = i;
      for (std::size_t li = f->values.size(); li-- > 0;) {
        const auto& vals = f->values[li];
        parts[li] = std::string(d.labels[li].name) + "=\"" + escape_label(vals[rest % vals.size()])
                    + "\"";
        rest /= vals.size();
      }
      std::string labels;
      for (const auto& p : parts) {
        labels += labels.empty() ? p : "," + p;
      }
      auto braces = [&](const std::string& more) {
        std::string inner = labels;
        if (!more.empty()) {
          inner += inner.empty() ? more : "," + more;
        }
        return inner.empty() ? std::string{} : "{" + inner + "}";
      };
      if (d.type != kind::histogram) {
        out << d.name << braces({}) << ' ' << number(c.value()) << '\n';
        continue;
      }
      for (std::size_t b = 0; b < bucket_count; ++b) {
        out << d.name << "_bucket" << braces("le=\"" + number(bucket_bounds[b]) + "\"") << ' '
            << c.buckets[b].load() << '\n';
      }
      auto total = c.buckets[bucket_count].load();
      out << d.name << "_bucket" << braces("le=\"+Inf\"") << ' ' << total << '\n';
      out << d.name << "_sum" << braces({}) << ' ' << number(from_bits(c.sum_bits.load()))
          << '\n';
      out << d.name << "_count" << braces({}) << ' ' << total << '\n';
    }
  }
  out << extra;
  return out.str();
}

std::string metric_help(std::string_view name) {
  for (const auto& d : declarations()) {
    if (name == d.name) {
      return d.help;
    }
  }
  return {};
}

} // namespace igbridge
