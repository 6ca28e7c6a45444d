#pragma once

#include "codec.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace fakegram {

/// An inbound request, decoupled from Beast so handlers are plain functions.
struct request {
  std::string method;       ///< "GET", "POST", …
  std::string target;       ///< raw target, query included
  std::string path;         ///< target without the query
  params query;             ///< decoded query string
  params form;              ///< decoded urlencoded body, when there is one
  std::string body;
  std::string content_type;
  std::string host;         ///< Host header
  std::string api_version;  ///< graph version prefix the path used ("v23.0"); "" when none

  /// A parameter from the form body, else from the query ("" if absent).
  std::string param(const std::string& key) const;
  bool has_param(const std::string& key) const;
};

/// Builds a request from its parts (parses query and urlencoded form). A
/// bearer `authorization` header stands in for a missing `access_token`
/// parameter, as graph allows.
request make_request(std::string method, std::string target, std::string body,
                     std::string content_type, std::string host,
                     const std::string& authorization = "");

/// What a handler answers.
struct reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

reply json_reply(unsigned status, const nlohmann::json& body);
reply html_reply(unsigned status, std::string html);
reply text_reply(unsigned status, std::string text, std::string content_type = "text/plain");
reply redirect_reply(const std::string& location);

/// Splits "/a/b/c" into {"a","b","c"} (segments are percent-decoded).
std::vector<std::string> path_segments(const std::string& path);

} // namespace fakegram
