#pragma once
/// @brief URL pieces: percent-encoding, query strings and form bodies.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace igbridge {

using params = std::vector<std::pair<std::string, std::string>>;

std::string url_encode(std::string_view s);   // RFC 3986 unreserved kept
std::string url_decode(std::string_view s);   // '+' becomes ' '
/// "a=1&b=2" → pairs (decoded); repeated keys kept in order.
params parse_query(std::string_view q);
/// pairs → "a=1&b=2" (encoded); also the body of a form POST.
std::string build_query(const params& p);
/// First value of `key`, if present.
std::optional<std::string> param(const params& p, std::string_view key);

/// "https://host:port/path?query" split into parts; nullopt when not http(s).
struct url_parts {
  std::string scheme; // "http" or "https"
  std::string host;
  std::string port;   // defaulted from the scheme when absent
  std::string target; // path + "?" + query, at least "/"
};
std::optional<url_parts> parse_url(std::string_view url);

/// Value of one cookie from a Cookie header.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

} // namespace igbridge
