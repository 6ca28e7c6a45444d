/// The one outbound HTTP client (updates, challenges, callbacks): blocking,
/// plain http, with one deadline over the whole exchange.

#include "http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace fakegram {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::optional<url_parts> split_http_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    return std::nullopt;
  }
  auto rest = url.substr(scheme.size());
  auto slash = rest.find_first_of("/?");
  auto authority = rest.substr(0, slash);
  url_parts out;
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (!out.target.empty() && out.target.front() == '?') {
    out.target = "/" + out.target;
  }
  if (auto hash = out.target.find('#'); hash != std::string::npos) {
    out.target.resize(hash);
  }
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) {
      return std::nullopt;
    }
    out.host = authority.substr(1, close - 1);
    out.port = close + 2 <= authority.size() && authority[close + 1] == ':'
                 ? authority.substr(close + 2)
                 : "80";
  } else {
    auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    out.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  }
  if (out.host.empty() || out.port.empty()) {
    return std::nullopt;
  }
  return out;
}

client_result http_call(const std::string& method, const std::string& url, const std::string& body,
                        const std::vector<std::pair<std::string, std::string>>& headers,
                        std::chrono::milliseconds timeout) {
  client_result result;
  auto parts = split_http_url(url);
  if (!parts) {
    result.error = "not a plain http:// URL: " + url;
    return result;
  }
  try {
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    beast::flat_buffer buffer;
    http::request<http::string_body> req{http::string_to_verb(method), parts->target, 11};
    req.set(http::field::host, parts->port == "80" ? parts->host : parts->host + ":" + parts->port);
    req.set(http::field::user_agent, "fakegram");
    req.set(http::field::connection, "close");
    for (const auto& [name, value] : headers) {
      req.set(name, value);
    }
    req.body() = body;
    req.prepare_payload();
    http::response_parser<http::string_body> res;
    res.body_limit(1024 * 1024);

    // The stream's deadline covers connect, write and read together.
    auto results = resolver.resolve(parts->host, parts->port);
    stream.expires_after(timeout);
    beast::error_code failure;
    stream.async_connect(results, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec) {
        failure = ec;
        return;
      }
      http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
        if (ec) {
          failure = ec;
          return;
        }
        http::async_read(stream, buffer, res, [&](beast::error_code ec, std::size_t) {
          failure = ec;
        });
      });
    });
    ioc.run();
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    if (failure) {
      result.error = failure.message();
      return result;
    }
    result.status = static_cast<int>(res.get().result_int());
    result.body = std::move(res.get().body());
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  return result;
}

} // namespace fakegram
