#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fakegram {

/// Host, port and target of a plain http:// URL.
struct url_parts {
  std::string host;
  std::string port;
  std::string target; ///< path and query, at least "/"
};

/// Splits "http://host[:port]/path?q"; nullopt for anything else (no TLS here).
std::optional<url_parts> split_http_url(const std::string& url);

struct client_result {
  int status = 0;    ///< 0 when no answer arrived
  std::string body;
  std::string error; ///< why there is no answer
};

/// One blocking HTTP/1.1 request with an overall deadline. Runs its own
/// io_context, so it is safe from any thread (handlers, the notifier).
client_result http_call(const std::string& method, const std::string& url, const std::string& body,
                        const std::vector<std::pair<std::string, std::string>>& headers,
                        std::chrono::milliseconds timeout);

} // namespace fakegram
