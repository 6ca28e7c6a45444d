#include "igbridge/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace igbridge {

namespace {

constexpr int64_t recent_window_s = 14 * 86400;
/// poll_tier's highest threshold: more recent imports change nothing, so
/// no more import times than this are kept.
constexpr std::size_t busiest_tier_imports = 7;
constexpr int64_t backoff_base_s = 60;
constexpr int64_t backoff_cap_s = 6 * 3600;
/// A sink's Retry-After beyond a day is not believed: a bad header must not
/// park records for centuries (or overflow the time it is added to).
constexpr int64_t max_retry_after_s = 86400;
constexpr int64_t storage_backoff_base_s = 5;
constexpr int64_t storage_backoff_cap_s = 300;

/// Keeps the newest busiest_tier_imports times.
void keep_newest(std::vector<int64_t>& times) {
  if (times.size() > busiest_tier_imports) {
    std::sort(times.begin(), times.end());
    times.erase(times.begin(), times.end() - static_cast<std::ptrdiff_t>(busiest_tier_imports));
  }
}

} // namespace

int poll_tier(std::size_t imports_last_14d, std::size_t tiers) {
  if (tiers == 0) {
    return 0;
  }
  std::size_t tier;
  if (imports_last_14d >= busiest_tier_imports) {
    tier = 0;
  } else if (imports_last_14d >= 4) {
    tier = 1;
  } else if (imports_last_14d >= 2) {
    tier = 2;
  } else {
    tier = tiers - 1;
  }
  return static_cast<int>(std::min(tier, tiers - 1));
}

void prune_recent(std::vector<int64_t>& times, int64_t now) {
  int64_t cutoff = now - recent_window_s;
  times.erase(std::remove_if(times.begin(), times.end(),
                             [cutoff](int64_t t) { return t < cutoff; }),
              times.end());
  keep_newest(times); // records written before note_recent kept every time
}

void note_recent(std::vector<int64_t>& times, int64_t t) {
  times.push_back(t);
  keep_newest(times);
}

int64_t with_jitter(int64_t interval_s, double unit) {
  unit = std::clamp(unit, 0.0, 1.0);
  return interval_s + static_cast<int64_t>(std::floor(static_cast<double>(interval_s) * 0.1 * unit));
}

int64_t fetch_backoff_s(int failures, int64_t retry_after_s) {
  int64_t delay = backoff_base_s;
  // Doubling stops at the cap, so large failure counts cannot overflow.
  for (int i = 1; i < failures && delay < backoff_cap_s; ++i) {
    delay *= 2;
  }
  delay = std::min(delay, backoff_cap_s);
  return std::max(delay, std::clamp<int64_t>(retry_after_s, 0, max_retry_after_s));
}

int64_t rate_limit_backoff_s(int failures, double unit) {
  constexpr int64_t base_s = 60;
  constexpr int64_t cap_s = 3600;
  int64_t delay = base_s;
  for (int i = 1; i < failures && delay < cap_s; ++i) {
    delay *= 2;
  }
  delay = std::min(delay, cap_s);
  unit = std::clamp(unit, 0.0, 1.0);
  return delay - static_cast<int64_t>(std::floor(static_cast<double>(delay) * 0.2 * unit));
}

int64_t transient_retry_ms(int attempt, double unit) {
  int64_t base_ms = 1000;
  for (int i = 1; i < attempt && i < transient_retries; ++i) {
    base_ms *= 2;
  }
  unit = std::clamp(unit, 0.0, 1.0);
  return static_cast<int64_t>(static_cast<double>(base_ms) * (0.8 + 0.4 * unit));
}

int64_t delivery_delay_s(const std::vector<int64_t>& schedule, int attempts,
                         int64_t retry_after_s) {
  if (attempts < 1) {
    attempts = 1;
  }
  if (static_cast<std::size_t>(attempts) > schedule.size()) {
    return -1;
  }
  return std::max(schedule[attempts - 1], std::clamp<int64_t>(retry_after_s, 0, max_retry_after_s));
}

int64_t storage_backoff_s(int failures) {
  int64_t delay = storage_backoff_base_s;
  for (int i = 1; i < failures && delay < storage_backoff_cap_s; ++i) {
    delay *= 2;
  }
  return std::min(delay, storage_backoff_cap_s);
}

// spacing_s = window_s / n, so the last of n users (k = n - 1) is due
// strictly before now + window_s; one user, or no window, is due now.
int64_t spread_overdue(int64_t now, std::size_t k, std::size_t n, int64_t window_s) {
  if (n <= 1 || window_s <= 0) {
    return now;
  }
  k = std::min(k, n - 1);
  // k * window / n rather than k * (window / n): with more users than
  // seconds in the window they still spread instead of all landing at now.
  return now + static_cast<int64_t>(k) * window_s / static_cast<int64_t>(n);
}

int64_t token_refresh_due(int64_t issued_at, int64_t expires_at) {
  constexpr int64_t min_age_s = 24 * 3600;
  constexpr int64_t margin_s = 20 * 24 * 3600;
  if (expires_at == 0) {
    return 0;
  }
  return std::max(issued_at + min_age_s, expires_at - margin_s);
}

} // namespace igbridge
