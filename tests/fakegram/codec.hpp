#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fakegram {

using params = std::map<std::string, std::string>;
using param_list = std::vector<std::pair<std::string, std::string>>;

/// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view s);

/// Decodes %XX (and '+' as space, as forms do); bad escapes are kept literally.
std::string url_decode(std::string_view s);

/// Parses "a=1&b=2" (query string or urlencoded form); the last duplicate wins.
params parse_query(std::string_view q);

/// Builds "a=1&b=2" in the given order.
std::string build_query(const param_list& items);

/// Appends a query string to a URL that may already carry one.
std::string append_query(const std::string& url, const std::string& query);

/// Escapes text for HTML/XML element content and attribute values.
std::string html_escape(std::string_view s);

std::string base64url_encode(std::string_view s);
std::optional<std::string> base64url_decode(std::string_view s);

} // namespace fakegram
