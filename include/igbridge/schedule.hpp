#pragma once
/// @brief Poll tiers, jitter, backoff and retry math, free of clocks.

#include <cstdint>
#include <vector>

namespace igbridge {

/// Tier index from imports in the last 14 days: >=7 → 0, >=4 → 1, >=2 → 2,
/// else the last tier; clamped to the number of tiers.
int poll_tier(std::size_t imports_last_14d, std::size_t tiers);
/// Drops entries older than 14 days before `now`, and all but the newest
/// ones note_recent keeps.
void prune_recent(std::vector<int64_t>& times, int64_t now);
/// Adds an import time, keeping only the newest ones the tiers can tell
/// apart (7: the busiest tier's threshold), so a user's record stays small
/// whatever a fetch imports.
void note_recent(std::vector<int64_t>& times, int64_t t);

/// interval + up to 10 % jitter; `unit` in [0, 1).
int64_t with_jitter(int64_t interval_s, double unit);

/// Delay after the n-th consecutive failed fetch (n >= 1): 60 s doubling,
/// capped at 6 h; never less than `retry_after_s` (itself capped at a day).
int64_t fetch_backoff_s(int failures, int64_t retry_after_s = 0);

/// Hold after the n-th consecutive per-account rate limit that came with no
/// estimate (80002 without estimated_time_to_regain_access, DESIGN §9): 60 s
/// doubling, capped at an hour, less up to 20 % jitter (`unit` in [0, 1)) so
/// that accounts limited together do not come back together. Meta counts
/// the limit over a rolling 24 h, so retrying every minute only burns calls.
int64_t rate_limit_backoff_s(int failures, double unit);

/// Quick retries inside one fetch or link step after a transient error
/// (DESIGN §9): this many, after about 1, 2 and 4 s.
constexpr int transient_retries = 3;
/// Milliseconds before quick retry `attempt` (1-based): 1000 · 2^(attempt-1),
/// from 80 % to 120 % of it by `unit` in [0, 1).
int64_t transient_retry_ms(int attempt, double unit);

/// Delay before retrying after the n-th consecutive failed write of the
/// local store (a full disk, an I/O error): 5 s doubling, capped at 5 min,
/// because the cause is local and usually cleared by an operator.
int64_t storage_backoff_s(int failures);

/// Delay before delivery attempt `attempts` + 1 after `attempts` failures;
/// -1 when the schedule is exhausted (dead letter). A Retry-After beyond a
/// day counts as a day.
int64_t delivery_delay_s(const std::vector<int64_t>& schedule, int attempts,
                         int64_t retry_after_s = 0);

/// On start-up, overdue fetches are spread: the k-th overdue user (0-based)
/// is due at now + k * spacing_s, spacing chosen so n users spread over at
/// most `window_s`.
int64_t spread_overdue(int64_t now, std::size_t k, std::size_t n, int64_t window_s);

/// When to refresh a token issued at `issued_at` that expires at
/// `expires_at`: with 20 days left, but never before it is 24 h old (the
/// provider refuses younger tokens). 0 when the token does not expire.
int64_t token_refresh_due(int64_t issued_at, int64_t expires_at);

} // namespace igbridge
