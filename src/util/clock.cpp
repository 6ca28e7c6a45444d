#include "igbridge/clock.hpp"

#include <chrono>
#include <ctime>

namespace igbridge {

namespace {

/// Reads exactly `n` digits at `pos`, advancing it; -1 when they are not there.
int read_digits(std::string_view s, std::size_t& pos, std::size_t n) {
  if (pos + n > s.size()) {
    return -1;
  }
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') {
      return -1;
    }
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

} // namespace

int64_t unix_now() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

std::string rfc3339(int64_t unix_seconds) {
  if (unix_seconds == 0) {
    return {};
  }
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) {
    return {};
  }
  char buf[32];
  auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

std::optional<int64_t> parse_iso8601(std::string_view s) {
  std::size_t pos = 0;
  std::tm tm{};
  int year = read_digits(s, pos, 4);
  if (year < 0 || !expect(s, pos, '-')) {
    return std::nullopt;
  }
  int month = read_digits(s, pos, 2);
  if (month < 1 || month > 12 || !expect(s, pos, '-')) {
    return std::nullopt;
  }
  int day = read_digits(s, pos, 2);
  if (day < 1 || day > 31) {
    return std::nullopt;
  }
  if (!expect(s, pos, 'T') && !expect(s, pos, 't') && !expect(s, pos, ' ')) {
    return std::nullopt;
  }
  int hour = read_digits(s, pos, 2);
  if (hour < 0 || hour > 23 || !expect(s, pos, ':')) {
    return std::nullopt;
  }
  int minute = read_digits(s, pos, 2);
  if (minute < 0 || minute > 59 || !expect(s, pos, ':')) {
    return std::nullopt;
  }
  int second = read_digits(s, pos, 2);
  // 60 is a leap second; timegm folds it into the next minute.
  if (second < 0 || second > 60) {
    return std::nullopt;
  }
  // Fractional seconds are dropped: every time igbridge keeps is whole seconds.
  if (expect(s, pos, '.') || expect(s, pos, ',')) {
    std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ++pos;
    }
    if (pos == start) {
      return std::nullopt;
    }
  }
  int64_t offset = 0;
  if (expect(s, pos, 'Z') || expect(s, pos, 'z')) {
    // UTC
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = read_digits(s, pos, 2);
    if (oh < 0 || oh > 23) {
      return std::nullopt;
    }
    int om = 0;
    if (pos < s.size()) {
      expect(s, pos, ':');
      om = read_digits(s, pos, 2);
      if (om < 0 || om > 59) {
        return std::nullopt;
      }
    }
    offset = sign * (int64_t{oh} * 3600 + int64_t{om} * 60);
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t t = timegm(&tm);
  // timegm normalizes Feb 31 into March; a normalized day means a bad date.
  if (tm.tm_mday != day && second != 60) {
    return std::nullopt;
  }
  return static_cast<int64_t>(t) - offset;
}

} // namespace igbridge
