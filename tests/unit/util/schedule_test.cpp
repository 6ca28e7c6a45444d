#include <catch2/catch.hpp>

#include "igbridge/schedule.hpp"

using namespace igbridge;

TEST_CASE("poll_tier follows recent imports", "[schedule]") {
  CHECK(poll_tier(10, 4) == 0);
  CHECK(poll_tier(7, 4) == 0);
  CHECK(poll_tier(6, 4) == 1);
  CHECK(poll_tier(4, 4) == 1);
  CHECK(poll_tier(3, 4) == 2);
  CHECK(poll_tier(2, 4) == 2);
  CHECK(poll_tier(1, 4) == 3);
  CHECK(poll_tier(0, 4) == 3);
  CHECK(poll_tier(0, 6) == 5);
  SECTION("clamped to the configured tiers") {
    CHECK(poll_tier(3, 2) == 1);
    CHECK(poll_tier(0, 1) == 0);
    CHECK(poll_tier(9, 1) == 0);
    CHECK(poll_tier(0, 0) == 0);
  }
}

TEST_CASE("prune_recent drops times older than 14 days", "[schedule]") {
  const int64_t now = 10'000'000;
  std::vector<int64_t> t{now - 14 * 86400 - 1, now - 14 * 86400, now - 5, now};
  prune_recent(t, now);
  CHECK(t == std::vector<int64_t>{now - 14 * 86400, now - 5, now});
}

TEST_CASE("with_jitter adds up to 10 percent", "[schedule]") {
  CHECK(with_jitter(900, 0.0) == 900);
  CHECK(with_jitter(900, 0.5) == 945);
  CHECK(with_jitter(900, 0.999) == 989);
  CHECK(with_jitter(5, 0.99) == 5);
}

TEST_CASE("fetch_backoff_s doubles from a minute to six hours", "[schedule]") {
  CHECK(fetch_backoff_s(1) == 60);
  CHECK(fetch_backoff_s(2) == 120);
  CHECK(fetch_backoff_s(3) == 240);
  CHECK(fetch_backoff_s(9) == 15360);
  CHECK(fetch_backoff_s(10) == 21600);
  CHECK(fetch_backoff_s(1000) == 21600);
  CHECK(fetch_backoff_s(1, 300) == 300);
  CHECK(fetch_backoff_s(3, 100) == 240);
}

TEST_CASE("delivery_delay_s walks the retry schedule", "[schedule]") {
  const std::vector<int64_t> s{5, 300, 1800, 7200, 18000, 36000, 36000};
  CHECK(delivery_delay_s(s, 1) == 5);
  CHECK(delivery_delay_s(s, 2) == 300);
  CHECK(delivery_delay_s(s, 7) == 36000);
  CHECK(delivery_delay_s(s, 8) == -1);
  CHECK(delivery_delay_s(s, 1, 60) == 60);
  CHECK(delivery_delay_s(s, 8, 60) == -1);
  CHECK(delivery_delay_s({}, 1) == -1);
}

TEST_CASE("spread_overdue spreads n users over the window", "[schedule]") {
  const int64_t now = 1000;
  CHECK(spread_overdue(now, 0, 1, 60) == now);
  CHECK(spread_overdue(now, 0, 0, 60) == now);
  CHECK(spread_overdue(now, 0, 4, 60) == now);
  CHECK(spread_overdue(now, 1, 4, 60) == now + 15);
  CHECK(spread_overdue(now, 3, 4, 60) == now + 45);
  CHECK(spread_overdue(now, 5, 4, 60) == now + 45); // k clamped
  // More users than seconds: still within the window, still non-decreasing.
  int64_t prev = now;
  for (std::size_t k = 0; k < 1000; ++k) {
    auto t = spread_overdue(now, k, 1000, 60);
    CHECK(t >= prev);
    CHECK(t < now + 60);
    prev = t;
  }
  CHECK(spread_overdue(now, 999, 1000, 60) == now + 59);
}

TEST_CASE("graph tokens are refreshed with 20 days left, never before 24 h", "[schedule]") {
  const int64_t day = 86400;
  // a fresh 60-day token: refresh on day 40
  CHECK(igbridge::token_refresh_due(1000, 1000 + 60 * day) == 1000 + 40 * day);
  // a token with little life left is still not refreshed before it is a day old
  CHECK(igbridge::token_refresh_due(1000, 1000 + 10 * day) == 1000 + day);
  // tokens that never expire are never refreshed
  CHECK(igbridge::token_refresh_due(1000, 0) == 0);
}

TEST_CASE("note_recent keeps the newest times the tiers tell apart", "[schedule]") {
  std::vector<int64_t> t;
  for (int64_t i = 0; i < 10'000; ++i) {
    note_recent(t, 1'000 + i);
  }
  REQUIRE(t.size() == 7);
  CHECK(t.front() == 1'000 + 10'000 - 7);
  CHECK(t.back() == 1'000 + 9'999);
  CHECK(poll_tier(t.size(), 4) == 0);
  note_recent(t, 5); // an older time does not push a newer one out
  CHECK(t.front() == 1'000 + 10'000 - 7);
}

TEST_CASE("rate_limit_backoff_s doubles from a minute to an hour, jittered down", "[schedule]") {
  // The curve without jitter.
  std::vector<int64_t> curve;
  for (int n = 1; n <= 9; ++n) {
    curve.push_back(rate_limit_backoff_s(n, 0.0));
  }
  CHECK(curve == std::vector<int64_t>{60, 120, 240, 480, 960, 1920, 3600, 3600, 3600});
  CHECK(rate_limit_backoff_s(1000000, 0.0) == 3600); // no overflow
  CHECK(rate_limit_backoff_s(0, 0.0) == 60);
  // Jitter takes up to a fifth off, never adds: the cap holds.
  CHECK(rate_limit_backoff_s(1, 0.5) == 54);
  CHECK(rate_limit_backoff_s(7, 0.999) == 2881);
  for (double u : {0.0, 0.3, 0.7, 0.999}) {
    for (int n = 1; n < 12; ++n) {
      auto d = rate_limit_backoff_s(n, u);
      CHECK(d <= 3600);
      CHECK(d >= rate_limit_backoff_s(n, 0.0) * 4 / 5);
    }
  }
}

TEST_CASE("transient_retry_ms waits about 1, 2 and 4 s", "[schedule]") {
  CHECK(transient_retry_ms(1, 0.5) == 1000);
  CHECK(transient_retry_ms(2, 0.5) == 2000);
  CHECK(transient_retry_ms(3, 0.5) == 4000);
  CHECK(transient_retry_ms(1, 0.0) == 800);
  CHECK(transient_retry_ms(3, 0.999) == 4798);
  CHECK(transient_retry_ms(9, 0.5) == 4000); // bounded by transient_retries
}
