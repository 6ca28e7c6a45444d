#pragma once
// Short JSON error answers shared by the listener and the routes.

#include <string>

#include "igbridge/http_types.hpp"

namespace igbridge {

inline std::string json_escape_simple(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

inline http_response error_response(int status, const std::string& message) {
  http_response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = "{\"error\":\"" + json_escape_simple(message) + "\"}";
  return r;
}

} // namespace igbridge
