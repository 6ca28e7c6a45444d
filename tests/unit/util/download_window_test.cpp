#include <vector>

#include <catch2/catch.hpp>

#include "igbridge/download_window.hpp"

using namespace igbridge;

namespace {

/// Finishes one full round at the window's size, as a CDN whose every
/// download takes `latency_s` would (the whole window in flight at once),
/// with downloads waiting behind it when `busy`. Returns the clock after.
double round_at(download_window& w, double now, double latency_s, bool busy = true) {
  auto n = w.size();
  w.started(now);
  if (busy) {
    w.limited();
  }
  now += latency_s;
  for (int i = 0; i < n; ++i) {
    w.finished(now, false);
  }
  return now;
}

/// `n` such rounds, 100 ms each.
double rounds(download_window& w, double now, int n) {
  for (int i = 0; i < n; ++i) {
    now = round_at(w, now, 0.1);
  }
  return now;
}

/// A machine that does at most `capacity` downloads per second, whatever
/// the window: a round of n downloads takes n / capacity seconds.
double saturated_round(download_window& w, double now, double capacity) {
  auto n = w.size();
  w.started(now);
  w.limited();
  for (int i = 0; i < n; ++i) {
    now += 1.0 / capacity;
    w.finished(now, false);
  }
  return now;
}

} // namespace

TEST_CASE("download window: starts small and never exceeds media.concurrency",
          "[media][window]") {
  CHECK(download_window(64).size() == download_window::start_size);
  CHECK(download_window(3).size() == 3);
  CHECK(download_window(0).size() == 1);
  download_window w(64);
  rounds(w, 0, 20);
  CHECK(w.size() == 64);
}

TEST_CASE("download window: doubles while the CDN's latency is the limit", "[media][window]") {
  download_window w(256);
  double now = 0;
  std::vector<int> sizes;
  for (int i = 0; i < 6; ++i) {
    now = round_at(w, now, 0.1);
    sizes.push_back(w.size());
  }
  // Each round at twice the size finishes twice the downloads per second.
  CHECK(sizes == std::vector<int>{16, 32, 64, 128, 256, 256});
}

TEST_CASE("download window: no growth without downloads waiting", "[media][window]") {
  download_window w(64);
  double now = 0;
  for (int i = 0; i < 5; ++i) {
    now = round_at(w, now, 0.1, false);
  }
  CHECK(w.size() == download_window::start_size);
}

TEST_CASE("download window: a doubling that buys nothing is undone, then held", "[media][window]") {
  download_window w(256);
  double now = 0;
  // The machine does 100 downloads/s whatever the window, so every round
  // has the same rate.
  now = saturated_round(w, now, 100);
  CHECK(w.size() == 16); // the first round has nothing to compare with: probe
  now = saturated_round(w, now, 100);
  CHECK(w.size() == 8); // 16 did no better than 8: back
  for (int i = 0; i < download_window::cooldown_rounds; ++i) {
    now = saturated_round(w, now, 100);
    CHECK(w.size() == 8); // held while cooling down
  }
  now = saturated_round(w, now, 100);
  CHECK(w.size() == 16); // then it probes again
}

TEST_CASE("download window: errors halve it once per round, down to one", "[media][window]") {
  download_window w(64);
  double now = rounds(w, 0, 4);
  REQUIRE(w.size() == 64);
  w.finished(now, true);
  CHECK(w.size() == 32);
  for (int i = 0; i < 5; ++i) {
    w.finished(now, true); // the same burst: one cut
  }
  CHECK(w.size() == 32);
  // A CDN that keeps failing: each round (as many failures as the window
  // holds) halves it again, down to one download at a time.
  for (int i = 0; i < 200; ++i) {
    now += 0.01;
    w.finished(now, true);
  }
  CHECK(w.size() == 1);
  // Healthy again: it grows back.
  rounds(w, now, 8);
  CHECK(w.size() == 64);
}

TEST_CASE("download window: an idle gap is not a slow round", "[media][window]") {
  download_window w(64);
  double now = 0;
  now = round_at(w, now, 0.1);
  REQUIRE(w.size() == 16);
  w.idle();
  now += 60; // nothing to download for a minute
  now = round_at(w, now, 0.1);
  CHECK(w.size() == 32); // measured from the first download after the gap
}
