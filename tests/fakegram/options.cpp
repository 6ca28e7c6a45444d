#include "options.hpp"

#include <string_view>

namespace fakegram {

namespace {

// Accepts "HOST:PORT" and "[V6]:PORT".
bool split_listen(const std::string& s, std::string& host, unsigned short& port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 >= s.size()) {
    return false;
  }
  host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) {
    return false;
  }
  unsigned long value = 0;
  for (char c : s.substr(colon + 1)) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + static_cast<unsigned long>(c - '0');
    if (value > 65535) {
      return false;
    }
  }
  port = static_cast<unsigned short>(value);
  return true;
}

} // namespace

const char* usage() {
  return "usage: fakegram --listen HOST:PORT --dialect graph|legacy --client-id ID "
         "--client-secret S [--webhook-url URL] [--verify-token T]";
}

std::optional<options> parse_options(int argc, char** argv, std::string& error) {
  options opts;
  bool have_listen = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "-h" || flag == "--help") {
      error = usage();
      return std::nullopt;
    }
    if (i + 1 >= argc) {
      error = "missing value for " + std::string(flag);
      return std::nullopt;
    }
    std::string value = argv[++i];
    if (flag == "--listen") {
      if (!split_listen(value, opts.host, opts.port)) {
        error = "--listen must be HOST:PORT, got '" + value + "'";
        return std::nullopt;
      }
      have_listen = true;
    } else if (flag == "--dialect") {
      if (value == "graph") {
        opts.dia = dialect::graph;
      } else if (value == "legacy") {
        opts.dia = dialect::legacy;
      } else {
        error = "--dialect must be graph or legacy";
        return std::nullopt;
      }
    } else if (flag == "--client-id") {
      opts.client_id = value;
    } else if (flag == "--client-secret") {
      opts.client_secret = value;
    } else if (flag == "--webhook-url") {
      opts.webhook_url = value;
    } else if (flag == "--verify-token") {
      opts.verify_token = value;
    } else {
      error = "unknown option " + std::string(flag);
      return std::nullopt;
    }
  }
  if (!have_listen || opts.client_id.empty() || opts.client_secret.empty()) {
    error = "--listen, --client-id and --client-secret are required";
    return std::nullopt;
  }
  return opts;
}

} // namespace fakegram
