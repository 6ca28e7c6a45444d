#pragma once
// How the listener reads a request: one Beast parser per request, its
// limits set before the first byte. Shared by the server and the fuzz
// target, so the fuzzer exercises exactly the configuration that faces
// the network.

#include <memory_resource>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "igbridge/http_server.hpp"

namespace igbridge {

/// Header fields take their memory from a resource the server names (a
/// session's pool; the default resource when constructed without one).
using fields_allocator = std::pmr::polymorphic_allocator<char>;
using request_parser =
    boost::beast::http::request_parser<boost::beast::http::string_body, fields_allocator>;

/// Header and body limits; must run before parsing starts (Beast ignores a
/// header limit set later).
inline void configure_request_parser(request_parser& p, const http_server_limits& limits) {
  p.header_limit(static_cast<std::uint32_t>(limits.header_limit));
  p.body_limit(limits.body_limit);
}

/// After the head is read: parses as much of the body as `buffer` already
/// holds (usually all of it: it came with the head) and consumes it. The
/// rest, if any, is for an asynchronous read; `ec` is set only when the
/// request is bad (413, 400).
template <class DynamicBuffer>
void parse_buffered_body(request_parser& p, DynamicBuffer& buffer,
                         boost::beast::error_code& ec) {
  ec = {};
  if (p.is_done() || buffer.size() == 0) {
    return;
  }
  p.eager(true);
  buffer.consume(p.put(buffer.data(), ec));
  if (ec == boost::beast::http::error::need_more) {
    ec = {};
  }
}

} // namespace igbridge
