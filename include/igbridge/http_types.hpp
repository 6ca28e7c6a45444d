#pragma once
/// @brief Plain request/response values shared by the HTTP server, the HTTP
/// client and the pure dialect code; no Beast types leak through here.

#include <string>
#include <utility>
#include <vector>

namespace igbridge {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// Case-insensitive lookup; empty when absent.
std::string header_value(const header_list& h, const std::string& name);

struct http_request {
  std::string method = "GET";
  std::string url;    // client side: absolute URL
  std::string target; // server side: path + query as received
  header_list headers;
  std::string body;
  std::string remote; // server side: peer address
  std::size_t max_body = 0; // client side: answer body limit; 0: the client's default
};

struct http_response {
  int status = 0; // 0: no answer (transport error, see `error`)
  header_list headers;
  std::string body;
  std::string error; // transport failure, human-readable
};

} // namespace igbridge
