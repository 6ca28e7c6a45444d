#include "igbridge/log.hpp"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace igbridge {

namespace {

std::atomic<int> current_level{static_cast<int>(log_level::info)};
std::atomic<bool> syslog_prefix{false};

const char* level_name(log_level lvl) {
  switch (lvl) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::notice: return "notice";
    case log_level::warning: return "warning";
    case log_level::error: return "error";
  }
  return "info";
}

/// Quotes values with spaces, quotes or control characters so that a line
/// stays one line and splits back into the same pairs.
void append_value(std::string& out, const std::string& v) {
  bool plain = !v.empty();
  for (unsigned char c : v) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out += v;
    return;
  }
  out += '"';
  for (unsigned char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < ' ' || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

} // namespace

log_level parse_log_level(std::string_view s) {
  if (s == "debug") return log_level::debug;
  if (s == "notice") return log_level::notice;
  if (s == "warning") return log_level::warning;
  if (s == "error") return log_level::error;
  return log_level::info;
}

void set_log_level(log_level lvl) {
  current_level = static_cast<int>(lvl);
}

void set_log_syslog_prefix(bool on) {
  syslog_prefix = on;
}

bool log_enabled(log_level lvl) {
  return static_cast<int>(lvl) <= current_level.load();
}

void log(log_level lvl, std::string_view event, std::initializer_list<log_field> fields) {
  if (!log_enabled(lvl)) {
    return;
  }
  std::string line;
  if (syslog_prefix) {
    line += '<';
    line += std::to_string(static_cast<int>(lvl));
    line += '>';
  } else {
    char ts[32];
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ ", &tm);
    line += ts;
  }
  line += "level=";
  line += level_name(lvl);
  line += " event=";
  line += event;
  for (auto& [k, v] : fields) {
    line += ' ';
    line += k;
    line += '=';
    append_value(line, v);
  }
  line += '\n';
  // One fwrite per line keeps lines whole across threads.
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

} // namespace igbridge
