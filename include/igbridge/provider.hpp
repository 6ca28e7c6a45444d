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

/// graph_url with the configured API version ("…/v23.0"), for the versioned
/// calls (/me, /me/media, /me/subscribed_apps); the token endpoints are
/// documented unversioned and use graph_url itself.
std::string graph_api_base(const config& cfg);

struct token_grant {
  std::string access_token;
  std::string user_id;       // the professional account id (graph: /me user_id; legacy: user.id)
  std::string app_scoped_id; // graph: /me id (signed_requests carry it); legacy: empty
  std::string username;      // legacy: from the exchange; graph: from /me
  int64_t expires_in = 0;    // seconds; 0 = does not expire (legacy); capped at 90 days
};

/// One image or video of a carousel.
struct media_child {
  std::string id;
  std::string media_type; // IMAGE | VIDEO
  std::string media_url;
  std::string thumbnail_url;
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
  std::vector<media_child> children; // CAROUSEL_ALBUM, in order
};

struct media_page {
  std::vector<media_item> items;
  std::string next_url; // empty when this was the last page
};

enum class provider_failure {
  none,
  token_invalid, // graph 190 / legacy OAuthAccessTokenException: user must re-link
  permission,    // graph 10, 200-299: a permission is missing; user must re-link
  rate_limited,  // 429, codes 4/17/32/613/80002
  transient,     // graph is_transient, or codes 1, 2, 341, 368, -1, -2, on any status
  server,        // 5xx
  transport,     // connect/read failure or timeout
  malformed,     // an answer we cannot read
  denied,        // other 4xx (bad code, bad redirect_uri, ...)
};
const char* to_string(provider_failure f);
/// Worth a quick retry (DESIGN §9 "Transient errors"): the provider said so,
/// it failed on its side (5xx), or the network did.
bool retryable(provider_failure f);

/// Whose quota a rate limit is about.
enum class rate_scope { app, account };

struct provider_error {
  provider_failure kind = provider_failure::none;
  std::string message;     // safe to log: never contains a token
  int code = 0;            // provider error code when given
  rate_scope scope = rate_scope::app; // rate_limited: the app as a whole, or one account
  int64_t retry_after_s = 0;          // rate_limited: how long to hold off (0 = unknown)
  explicit operator bool() const { return kind != provider_failure::none; }
};

/// What the usage headers of any answer (a successful one too) say about
/// slowing down before the provider refuses: seconds to hold the whole app
/// (X-App-Usage >= 75 % of any figure) and this account
/// (X-Business-Use-Case-Usage >= 75 %, or its estimated_time_to_regain_access).
struct usage_advice {
  int64_t app_wait_s = 0;
  int64_t account_wait_s = 0;
};

/// Classifies any answer: HTTP status and error envelopes of both dialects.
/// Rate limits: app-level (code 4, X-App-Usage, HTTP 429) or per account
/// (80002, 32, 613, 17 with X-Business-Use-Case-Usage); Retry-After and
/// estimated_time_to_regain_access give retry_after_s (capped at a day).
/// Graph's transient errors (is_transient, or codes 1, 2, 341, 368, -1, -2)
/// are `transient` whatever the status: Meta sends them on HTTP 400 too.
provider_error classify(const http_response& r);
usage_advice read_usage(const http_response& r);

/// Whether `url` is on the same scheme, host and port as `base` (next-page
/// URLs are followed only to the provider they came from: they carry the token).
bool same_origin(const std::string& url, const std::string& base);

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
/// graph: one post read again for fresh CDN URLs (DESIGN §9 "Media re-read"):
/// `GET {graph_url}/{media-id}?fields=media_url,thumbnail_url,children{media_url,thumbnail_url}`.
http_request media_node_request(const config& cfg, const std::string& token,
                                const std::string& media_id);

// -- answers (call only when classify() found no error) --------------------

/// graph: {"data":[{...}]} or flat {...}; legacy: {"access_token","user":{...}}.
std::optional<token_grant> parse_code_exchange(dialect d, const std::string& body);
/// graph long-lived exchange or refresh: {access_token, token_type, expires_in};
/// expires_in is capped at 90 days (a bad answer cannot park a refresh for ever).
std::optional<token_grant> parse_long_lived(const std::string& body);
/// graph /me: {"id" (app-scoped), "user_id" (professional), "username"} merged
/// into `grant`; an answer without user_id uses id for both.
bool parse_me(const std::string& body, token_grant& grant);
std::optional<media_page> parse_media_page(dialect d, const std::string& body);
/// graph: the answer of media_node_request (id, media_url, thumbnail_url,
/// children with their ids and URLs); the other fields stay empty.
std::optional<media_item> parse_media_node(const std::string& body);

} // namespace igbridge
