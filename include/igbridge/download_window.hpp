#pragma once
/// @brief How many media downloads may be in flight at once: the CDN's
/// latency, not igbridge, should set the pace, without knowing that
/// latency in advance or hammering a CDN that is struggling.
///
/// The rule, by rounds (a round ends once as many downloads finished as the
/// window holds, and at least `min_round_s` passed):
/// - a timeout, connection error, 5xx or 429 halves the window at once,
///   once per round (as TCP does on loss), and a round with such errors
///   never grows it;
/// - a round in which downloads were waiting behind the window doubles it,
///   as long as the doubling bought throughput: when the round after a
///   doubling finished fewer than `gain` times as many downloads per second,
///   the window goes back to its size before, and stays there for
///   `cooldown_rounds` rounds before it probes again;
/// - a round without downloads waiting changes nothing (no evidence).
/// It never exceeds `max` (media.concurrency) nor goes below 1.
/// Pure: the caller passes the time, so tests need no clock.

namespace igbridge {

class download_window {
public:
  static constexpr int start_size = 8;
  static constexpr double gain = 1.2;
  static constexpr int cooldown_rounds = 8;
  static constexpr double min_round_s = 0.05;

  explicit download_window(int max);

  /// Downloads that may be in flight now.
  int size() const { return size_; }
  int max() const { return max_; }

  /// A download started at `now_s` (any steady clock, in seconds).
  void started(double now_s);

  /// Called when a download could not start because the window was full.
  void limited() { limited_ = true; }

  /// A download finished at `now_s`; `congested`: it timed out, failed to connect or got 5xx/429.
  void finished(double now_s, bool congested);

  /// Nothing in flight and nothing waiting: the next round starts afresh
  /// (an idle gap says nothing about throughput).
  void idle();

private:
  void start_round(double now_s);

  int max_;
  int size_;
  int before_growth_ = 0;     // size before the last doubling; 0: the last round did not grow
  double last_rate_ = 0;      // downloads per second of the last full round
  int cooldown_ = 0;          // rounds left before probing again
  bool round_open_ = false;
  double round_start_s_ = 0;
  int done_ = 0;              // downloads finished in this round
  int errors_ = 0;            // of them, congested
  bool limited_ = false;      // downloads waited behind the window in this round
};

} // namespace igbridge
