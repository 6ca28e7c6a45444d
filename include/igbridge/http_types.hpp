#pragma once
/// @brief Plain request/response values shared by the HTTP server, the HTTP
/// client and the pure dialect code; no Beast types leak through here.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace igbridge {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// Case-insensitive lookup; empty when absent.
std::string header_value(const header_list& h, const std::string& name);

/// Where the HTTP client streams a 200 answer's body instead of holding it
/// (http_request::sink): a download is then never whole in memory. Called
/// on the client's thread, in order: write() for each piece as it arrives,
/// then finish() once, before the answer's callback runs.
class body_sink {
public:
  virtual ~body_sink() = default;
  /// Takes the next piece; a non-empty answer (safe to log) stops the
  /// download, which then fails with that text.
  virtual std::string write(std::string_view piece) = 0;
  /// `complete`: the whole body went through write(); else whatever was
  /// written is to be dropped (the exchange failed or the answer was not 200).
  virtual void finish(bool complete) = 0;
};

struct http_request {
  std::string method = "GET";
  std::string url;    // client side: absolute URL
  std::string target; // server side: path + query as received
  header_list headers;
  std::string body;
  std::string remote; // server side: peer address
  std::size_t max_body = 0; // client side: answer body limit; 0: the client's default
  std::shared_ptr<body_sink> sink; // client side: a 200's body goes here, not to `body`
};

struct http_response {
  int status = 0; // 0: no answer (transport error, see `error`)
  header_list headers;
  std::string body;
  std::string error; // transport failure, human-readable
};

} // namespace igbridge
