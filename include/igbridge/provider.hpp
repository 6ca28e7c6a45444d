#pragma once
/// @brief The two Instagram dialects as pure functions: what to send for
/// each provider call and how to read the answer. No I/O here; the actors
/// send these requests through the async HTTP client.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "igbridge/config.hpp"
#include "igbridge/http_types.hpp"

namespace igbridge {

enum class dialect { graph, legacy };
dialect dialect_of(const config& cfg);

struct token_grant {
  std::string access_token;
  std::string user_id;   // Instagram user id
  std::string username;  // legacy: from the exchange; graph: from /me
  int64_t expires_in = 0; // seconds; 0 = does not expire (legacy)
};

struct media_item {
  std::string id;
  std::string caption;
  std::vector<std::string> tags; // normalized
  std::string media_type;        // "IMAGE", "VIDEO", "CAROUSEL_ALBUM" (legacy upper-cased)
  std::string media_url;
  std::string thumbnail_url;
  std::string permalink;
  std::string taken_at;          // RFC 3339 UTC
  std::string username;
};

struct media_page {
  std::vector<media_item> items;
  std::string next_url; // empty when this was the last page
};

enum class provider_failure {
  none,
  token_invalid, // graph 190 / legacy OAuthAccessTokenException: user must re-link
  rate_limited,  // 429, codes 4/17/32/613, app usage >= 75 %
  server,        // 5xx
  transport,     // connect/read failure or timeout
  malformed,     // an answer we cannot read
  denied,        // other 4xx (bad code, bad redirect_uri, ...)
};
const char* to_string(provider_failure f);

struct provider_error {
  provider_failure kind = provider_failure::none;
  std::string message;     // safe to log: never contains a token
  int code = 0;            // provider error code when given
  int64_t retry_after_s = 0;
  explicit operator bool() const { return kind != provider_failure::none; }
};

/// Classifies any answer: HTTP status, error envelopes of both dialects,
/// Retry-After and X-App-Usage (>= 75 % of any figure is rate_limited even on 200).
provider_error classify(const http_response& r);

// -- requests -------------------------------------------------------------

std::string authorize_url(const config& cfg, const std::string& redirect_uri,
                          const std::string& state);
http_request code_exchange_request(const config& cfg, const std::string& redirect_uri,
                                   std::string code); // strips a trailing "#_"
http_request long_lived_request(const config& cfg, const std::string& short_token); // graph
http_request refresh_request(const config& cfg, const std::string& token);          // graph
http_request me_request(const config& cfg, const std::string& token);               // graph: /me?fields=user_id,username
/// First page of recent media; legacy needs the Instagram user id.
http_request media_request(const config& cfg, const std::string& token,
                           const std::string& ig_user_id, int count);
/// A follow-up page: the next_url of the previous page.
http_request next_page_request(const std::string& next_url);

// -- answers (call only when classify() found no error) --------------------

/// graph: {"data":[{...}]} or flat {...}; legacy: {"access_token","user":{...}}.
std::optional<token_grant> parse_code_exchange(dialect d, const std::string& body);
/// graph long-lived exchange or refresh: {access_token, token_type, expires_in}.
std::optional<token_grant> parse_long_lived(const std::string& body);
/// graph /me: {"user_id" or "id", "username"} merged into `grant`.
bool parse_me(const std::string& body, token_grant& grant);
std::optional<media_page> parse_media_page(dialect d, const std::string& body);

} // namespace igbridge
