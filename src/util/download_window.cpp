// The media download window (see download_window.hpp for the rule).

#include "igbridge/download_window.hpp"

#include <algorithm>

namespace igbridge {

download_window::download_window(int max)
  : max_(std::max(1, max)), size_(std::min(std::max(1, max), start_size)) {
  // nop
}

void download_window::start_round(double now_s) {
  round_open_ = true;
  round_start_s_ = now_s;
  done_ = 0;
  errors_ = 0;
  limited_ = false;
}

void download_window::started(double now_s) {
  if (!round_open_) {
    start_round(now_s);
  }
}

void download_window::idle() {
  round_open_ = false;
  before_growth_ = 0;
  last_rate_ = 0;
}

void download_window::finished(double now_s, bool congested) {
  if (!round_open_) {
    start_round(now_s);
  }
  ++done_;
  if (congested && errors_++ == 0) {
    // Back off at once; the rates measured so far were the healthy CDN's.
    size_ = std::max(1, size_ / 2);
    before_growth_ = 0;
    last_rate_ = 0;
  }
  auto elapsed = now_s - round_start_s_;
  if (done_ < size_ || elapsed < min_round_s) {
    return;
  }
  auto rate = done_ / elapsed;
  if (errors_ > 0 || !limited_) {
    before_growth_ = 0; // errors, or nothing waited: no reason to grow
  } else if (before_growth_ != 0 && rate < last_rate_ * gain) {
    // The last doubling bought nothing: the CDN, the link or this machine
    // is the limit now. Go back and hold there a while.
    size_ = before_growth_;
    before_growth_ = 0;
    cooldown_ = cooldown_rounds;
  } else {
    before_growth_ = 0; // the last doubling, if any, paid off
    if (cooldown_ > 0) {
      --cooldown_;
    } else if (size_ < max_) {
      before_growth_ = size_;
      size_ = std::min(max_, size_ * 2);
    }
  }
  last_rate_ = errors_ > 0 ? 0 : rate;
  start_round(now_s);
}

} // namespace igbridge
