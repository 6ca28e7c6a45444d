#pragma once
/// @brief Asynchronous outbound HTTP(S) over Beast. Nothing here blocks the
/// caller: the callback runs later on an asio thread, exactly once, and is
/// expected to turn the answer into an actor message.

#include <chrono>
#include <functional>
#include <memory>

#include "igbridge/http_types.hpp"

namespace boost::asio {
class io_context;
} // namespace boost::asio

namespace igbridge {

struct http_client_options {
  std::chrono::milliseconds connect_timeout{10000};
  /// Plain http:// is refused unless the host is a loopback address.
  bool allow_plain_loopback = true;
  std::size_t max_body = 8 * 1024 * 1024;
  std::size_t max_idle_per_host = 4;
  std::chrono::seconds idle_timeout{60};
};

/// Where actors send outbound requests; tests put a scripted fake here.
class outbound_http {
public:
  using callback = std::function<void(http_response)>;
  virtual ~outbound_http() = default;
  /// Calls `done` exactly once, later, from another thread or the caller's.
  virtual void send(http_request req, callback done,
                    std::chrono::milliseconds timeout = std::chrono::seconds{30}) = 0;
};

class http_client final : public outbound_http {
public:
  http_client(boost::asio::io_context& io, http_client_options opts = {});
  ~http_client() override;
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends `req` (absolute `req.url`; method, headers, body) and calls
  /// `done` once with the answer, or with status 0 and `error` set on a
  /// refused URL, DNS/connect/TLS failure or when `timeout` (whole exchange)
  /// passes. HTTPS verifies the peer against the system CA store, with SNI
  /// and host-name verification. Idle keep-alive connections are reused per
  /// scheme/host/port. Safe to call from any thread.
  void send(http_request req, callback done,
            std::chrono::milliseconds timeout = std::chrono::seconds{30}) override;

  /// Closes idle connections and fails nothing in flight; for shutdown.
  void close_idle();

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace igbridge
