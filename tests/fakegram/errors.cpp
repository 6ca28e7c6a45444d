#include "errors.hpp"

#include "crypto.hpp"

namespace fakegram {

reply graph_error(unsigned status, int code, const std::string& message,
                  std::optional<int> subcode, const std::string& type) {
  nlohmann::json err = {{"message", message}, {"type", type}, {"code", code}};
  if (subcode) {
    err["error_subcode"] = *subcode;
  }
  err["fbtrace_id"] = "A" + random_hex(10);
  return json_reply(status, {{"error", err}});
}

reply legacy_error(unsigned status, const std::string& type, const std::string& message) {
  return json_reply(status, {{"meta",
                              {{"error_type", type}, {"code", status}, {"error_message", message}}}});
}

reply legacy_oauth_error(const std::string& message) {
  return json_reply(400, {{"error_type", "OAuthException"}, {"code", 400}, {"error_message", message}});
}

reply oauth_error(dialect dia, int graph_code, const std::string& message) {
  if (dia == dialect::legacy) {
    return legacy_oauth_error(message);
  }
  return graph_error(400, graph_code, message);
}

reply token_error(dialect dia, token_status why) {
  if (dia == dialect::legacy) {
    return legacy_error(400, "OAuthAccessTokenException", "The access_token provided is invalid.");
  }
  switch (why) {
    case token_status::revoked:
      return graph_error(400, 190,
                         "Error validating access token: The user has not authorized application.",
                         458);
    case token_status::expired:
      return graph_error(400, 190, "Error validating access token: Session has expired.", 463);
    default:
      return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token");
  }
}

reply not_found(dialect dia, const std::string& method, const std::string& path) {
  if (dia == dialect::legacy) {
    return legacy_error(404, "APINotFoundError", "invalid resource: " + method + " " + path);
  }
  auto r = graph_error(404, 100, "Unsupported " + method + " request: " + path, 33,
                       "IGApiException");
  return r;
}

reply fault_status(dialect dia, unsigned status) {
  if (dia == dialect::legacy) {
    return legacy_error(status, status >= 500 ? "APIError" : "APIRequestError",
                        "fakegram injected HTTP " + std::to_string(status));
  }
  if (status >= 500) {
    nlohmann::json err = {{"message", "An unexpected error has occurred. Please retry your request later."},
                          {"type", "OAuthException"},
                          {"is_transient", true},
                          {"code", 2},
                          {"fbtrace_id", "A" + random_hex(10)}};
    return json_reply(status, {{"error", err}});
  }
  return graph_error(status, 1, "fakegram injected HTTP " + std::to_string(status));
}

reply fault_rate_limit(dialect dia) {
  reply r;
  if (dia == dialect::legacy) {
    r = legacy_error(429, "OAuthRateLimitException",
                     "The maximum number of requests per hour has been exceeded.");
  } else {
    nlohmann::json err = {{"message", "Application request limit reached"},
                          {"type", "OAuthException"},
                          {"is_transient", true},
                          {"code", 4},
                          {"fbtrace_id", "A" + random_hex(10)}};
    r = json_reply(429, {{"error", err}});
  }
  r.headers.emplace_back("Retry-After", "30");
  return r;
}

reply fault_malformed() {
  reply r;
  r.status = 200;
  r.content_type = "application/json; charset=UTF-8";
  r.body = "{\"data\":[{\"id\":\"1789";
  return r;
}

} // namespace fakegram
