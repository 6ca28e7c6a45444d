#pragma once
// Private to the HTTP client: one outbound connection (plain or TLS) and the
// idle keep-alive pool that hands connections from one exchange to the next.

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

namespace igbridge {

/// One outbound connection. Exactly one of `plain` / `tls` is engaged; the
/// buffer lives here (not in the exchange) because bytes read past the end of
/// one response would belong to the next one on the same connection.
struct client_connection {
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  std::string key; // scheme://host:port, the pool key
  std::optional<boost::beast::tcp_stream> plain;
  std::optional<tls_stream> tls;
  boost::beast::flat_buffer buffer;
  /// Where a streamed body's pieces land (exchange::do_read_body); made on
  /// the connection's first streamed answer and kept for its next ones.
  std::unique_ptr<char[]> chunk;
  std::chrono::steady_clock::time_point idle_since;
  bool reused = false; // taken from the pool: may be stale

  boost::beast::tcp_stream& tcp() {
    return tls ? boost::beast::get_lowest_layer(*tls) : *plain;
  }

  /// Calls `f` with whichever stream is engaged, so Beast's generic
  /// algorithms are written once for both.
  template <class F>
  void visit(F&& f) {
    if (tls) {
      f(*tls);
    } else {
      f(*plain);
    }
  }
};

using client_connection_ptr = std::unique_ptr<client_connection>;

/// Idle keep-alive connections keyed by scheme://host:port. A mutex guards it
/// because exchanges run on their own strands; connections in here have no
/// operation pending, so handing one to another thread is safe.
class client_pool : public std::enable_shared_from_this<client_pool> {
public:
  client_pool(boost::asio::io_context& io, std::size_t max_idle_per_host,
              std::chrono::seconds idle_timeout);

  /// The most recently parked live connection for `key`, or null.
  client_connection_ptr take(const std::string& key);

  /// Parks `conn` for reuse (or drops it if the host's slots are full or the
  /// pool was shut down).
  void put(client_connection_ptr conn);

  /// Closes every idle connection; the pool stays usable.
  void close_idle();

  /// Closes every idle connection and refuses further ones.
  void shutdown();

  std::size_t idle_count();

private:
  void arm_sweep_locked();
  void on_sweep(boost::system::error_code ec);
  void expire_locked(std::chrono::steady_clock::time_point now);

  std::mutex mtx_;
  std::map<std::string, std::vector<client_connection_ptr>> idle_;
  boost::asio::steady_timer sweep_;
  bool sweep_armed_ = false;
  bool closed_ = false;
  std::size_t max_idle_per_host_;
  std::chrono::seconds idle_timeout_;
};

} // namespace igbridge
