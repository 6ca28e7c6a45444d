#pragma once
/// @brief The Beast listener: parses requests on asio threads, enforces
/// limits and deadlines, and hands each request to a handler together with
/// a responder that may be completed from any thread.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "igbridge/config.hpp"
#include "igbridge/http_types.hpp"

namespace igbridge {

class io_pool;

/// Completes one request. Thread-safe; the first respond() wins, later
/// ones (e.g. after the session's own 503 timer) are ignored.
class responder {
public:
  virtual ~responder() = default;
  virtual void respond(http_response r) = 0;
};
using responder_ptr = std::shared_ptr<responder>;

/// While one is alive on a thread, the answers that thread gives are held,
/// and when it ends each I/O thread gets its share in one handler: a commit
/// that answers a hundred webhooks wakes each I/O thread once, not a
/// hundred times. Batches nest; the outermost one sends.
class answer_batch {
public:
  answer_batch();
  ~answer_batch();
  answer_batch(const answer_batch&) = delete;
  answer_batch& operator=(const answer_batch&) = delete;

private:
  struct groups;
  std::unique_ptr<groups> groups_; // the held answers, when this batch is the outermost
};

struct http_server_limits {
  std::size_t header_limit = 8 * 1024;       // larger → 431
  std::size_t body_limit = 1024 * 1024;      // larger → 413
  std::chrono::milliseconds read_deadline{10000}; // headers + body
  std::chrono::milliseconds handler_deadline{15000}; // actor answer, else 503
  std::chrono::milliseconds idle_deadline{30000};    // keep-alive wait
  /// Open connections at most. At the cap a new connection closes the
  /// oldest idle one (waiting for a request); with none idle, accepting
  /// pauses until one closes.
  std::size_t max_connections = 1024;
  /// Accepting waits this long after EMFILE and similar errors.
  std::chrono::milliseconds accept_backoff{100};
  /// After stop(), how long a connection accepted but still silent may
  /// take to send its first request (speculative connections, say).
  std::chrono::milliseconds stop_grace{1000};
};

class http_server {
public:
  using handler = std::function<void(http_request, responder_ptr)>;
  /// Judges a request that asks for `Expect: 100-continue` by its head
  /// alone (`body` empty), before its sender commits the body: an answer
  /// refuses it at once (the connection then closes); none lets it go on
  /// (`100 Continue`, then the body, then the handler as usual). Runs on
  /// an I/O thread. A Content-Length over `body_limit` never gets here: the
  /// parser answers 413 to any such head.
  using head_check = std::function<std::optional<http_response>(const http_request& head)>;

  /// What a listener does with what it reads.
  struct routes {
    handler on_request;
    head_check on_expect; // may be empty: every head may go on
  };

  /// Binds `addr` immediately, or, with `inherited_fd` >= 0, takes that
  /// already listening socket instead (socket activation; the socket is
  /// then this server's to close). Throws std::system_error naming the
  /// address when binding fails, or std::runtime_error when the inherited
  /// socket is not a listening TCP socket of `addr`'s address family (and
  /// on loopback, when `addr` is).
  /// Accepts on the pool's main context; each connection runs on one of
  /// the pool's threads, in turn.
  http_server(io_pool& pool, const listen_address& addr, routes r,
              http_server_limits limits = {}, int inherited_fd = -1);
  ~http_server();

  /// Port actually bound (useful with port 0).
  uint16_t port() const;
  /// The address and port the socket is bound to, as "host:port".
  std::string local_address() const;
  void start();
  /// Stops accepting. A connection waiting between two requests closes
  /// now; any other finishes the exchange it is in (a connection accepted
  /// but not yet read from gets its first request answered, if it comes
  /// within `stop_grace`), then closes. Connections not yet accepted stay
  /// in the kernel's queue: with an inherited socket, for the next process.
  void stop();
  /// Requests read but not yet answered and written.
  std::size_t in_flight() const;
  /// Connections open now (after stop(): the exchanges still owed an answer).
  std::size_t open_connections() const;
  /// Called (on an I/O thread) each time a connection is closed to make room.
  void on_refused(std::function<void()> f);

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace igbridge
