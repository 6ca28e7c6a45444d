// The Beast listener and its sessions, after Beast's advanced server example:
// one session per connection, each async step preceded by its deadline.

#include "igbridge/http_server.hpp"

#include <array>
#include <atomic>
#include <mutex>
#include <set>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "http_errors.hpp"

namespace igbridge {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

class session;

/// Hands the actor's answer back to the session's strand; first answer wins.
class session_responder final : public responder {
public:
  session_responder(std::weak_ptr<session> s, net::any_io_executor ex)
    : session_(std::move(s)), ex_(std::move(ex)) {
    // nop
  }
  void respond(http_response r) override;
  bool answered() const { return done_.load(); }

private:
  std::weak_ptr<session> session_;
  net::any_io_executor ex_;
  std::atomic<bool> done_{false};
};

struct server_shared {
  http_server::handler handler;
  http_server_limits limits;
  std::atomic<std::size_t> in_flight{0};
  std::atomic<bool> stopping{false};
};

class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket&& socket, std::shared_ptr<server_shared> shared)
    : stream_(std::move(socket)), shared_(std::move(shared)),
      wait_timer_(stream_.get_executor()) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      remote_ = ep.address().to_string();
    }
  }

  ~session() {
    if (counted_) {
      --shared_->in_flight;
    }
  }

  void run() {
    // Start on the session's strand so every later handler runs there too.
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&session::do_read, shared_from_this()));
  }

  /// Called on the strand with the handler's answer.
  void deliver(http_response r) {
    wait_timer_.cancel();
    write(std::move(r), !keep_alive_ || shared_->stopping.load());
  }

private:
  void do_read() {
    parser_.emplace();
    // Limits must be in place before the first byte is parsed.
    parser_->header_limit(static_cast<std::uint32_t>(shared_->limits.header_limit));
    parser_->body_limit(shared_->limits.body_limit);
    buffer_.clear();
    // One deadline covers headers and body: a client that trickles bytes
    // (slowloris) is dropped when it passes, however steadily it sends.
    stream_.expires_after(shared_->limits.read_deadline);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout
        || ec == net::error::operation_aborted || ec == net::error::connection_reset
        || ec == net::error::eof) {
      return close();
    }
    linger_ = static_cast<bool>(ec);
    if (ec == bhttp::error::header_limit) {
      return write(error_response(431, "request header fields too large"), true);
    }
    if (ec == bhttp::error::body_limit) {
      return write(error_response(413, "request body too large"), true);
    }
    if (ec) {
      return write(error_response(400, "malformed request"), true);
    }
    stream_.expires_never();
    auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive();
    http_request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.remote = remote_;
    for (auto& field : msg) {
      req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    auto r = std::make_shared<session_responder>(weak_from_this(), stream_.get_executor());
    ++shared_->in_flight;
    counted_ = true;
    // While the actor works no socket operation is pending, so this timer
    // is the only thing that bounds the wait.
    wait_timer_.expires_after(shared_->limits.handler_deadline);
    // The timer's handler also keeps the session alive while it waits.
    wait_timer_.async_wait([r, self = shared_from_this()](beast::error_code ec) {
      if (!ec) {
        r->respond(error_response(503, "service did not answer in time"));
      }
    });
    try {
      shared_->handler(std::move(req), r);
    } catch (const std::exception&) {
      r->respond(error_response(500, "internal error"));
    }
  }

  void write(http_response r, bool close_after) {
    close_after_ = close_after;
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    bool has_type = false;
    for (auto& [name, value] : r.headers) {
      res->insert(name, value);
      if (beast::iequals(name, "content-type")) {
        has_type = true;
      }
    }
    if (!has_type && !r.body.empty()) {
      res->set(bhttp::field::content_type, "application/json");
    }
    res->set(bhttp::field::server, "igbridge");
    res->body() = std::move(r.body);
    res->keep_alive(!close_after);
    res->prepare_payload();
    res_ = res;
    stream_.expires_after(shared_->limits.read_deadline);
    bhttp::async_write(stream_, *res,
                       beast::bind_front_handler(&session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    res_.reset();
    if (counted_) {
      counted_ = false;
      --shared_->in_flight;
    }
    if (ec || close_after_) {
      return close();
    }
    do_read();
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec || !linger_) {
      stream_.socket().close(ec);
      return;
    }
    // After an early answer (413, 431, 400) the client may still be sending.
    // Closing now would reset the connection and destroy our answer in its
    // receive buffer, so read and discard for a short while first.
    drain_budget_ = 8 * 1024 * 1024;
    stream_.expires_after(std::chrono::seconds{2});
    do_drain();
  }

  void do_drain() {
    stream_.async_read_some(net::buffer(drain_buf_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec || n >= self->drain_budget_) {
                                beast::error_code ignored;
                                self->stream_.socket().close(ignored);
                                return;
                              }
                              self->drain_budget_ -= n;
                              self->do_drain();
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<void> res_;
  std::shared_ptr<server_shared> shared_;
  net::steady_timer wait_timer_;
  std::string remote_;
  bool keep_alive_ = false;
  bool close_after_ = false;
  bool counted_ = false; // this session holds one in_flight count
  bool linger_ = false;  // drain the request before closing (early answers)
  std::size_t drain_budget_ = 0;
  std::array<char, 16 * 1024> drain_buf_{};
};

void session_responder::respond(http_response r) {
  if (done_.exchange(true)) {
    return;
  }
  net::post(ex_, [s = session_, r = std::move(r)]() mutable {
    if (auto self = s.lock()) {
      self->deliver(std::move(r));
    }
  });
}

} // namespace

struct http_server::impl : std::enable_shared_from_this<http_server::impl> {
  impl(net::io_context& io, const listen_address& addr) : io(io), acceptor(net::make_strand(io)) {
    // nop
  }

  void do_accept() {
    acceptor.async_accept(net::make_strand(io), [self = shared_from_this()](
                                                  beast::error_code ec, tcp::socket socket) {
      if (!self->acceptor.is_open()) {
        return;
      }
      if (!ec) {
        std::make_shared<session>(std::move(socket), self->shared)->run();
      }
      self->do_accept();
    });
  }

  net::io_context& io;
  tcp::acceptor acceptor;
  std::shared_ptr<server_shared> shared = std::make_shared<server_shared>();
};

http_server::http_server(net::io_context& io, const listen_address& addr, handler h,
                         http_server_limits limits)
  : impl_(std::make_shared<impl>(io, addr)) {
  impl_->shared->handler = std::move(h);
  impl_->shared->limits = limits;
  auto host = addr.host == "localhost" ? std::string("127.0.0.1") : addr.host;
  tcp::endpoint ep{net::ip::make_address(host), addr.port};
  auto& a = impl_->acceptor;
  a.open(ep.protocol());
  a.set_option(net::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(net::socket_base::max_listen_connections);
}

http_server::~http_server() {
  stop();
}

uint16_t http_server::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void http_server::start() {
  net::dispatch(impl_->acceptor.get_executor(), [self = impl_] { self->do_accept(); });
}

void http_server::stop() {
  impl_->shared->stopping = true;
  net::dispatch(impl_->acceptor.get_executor(), [self = impl_] {
    beast::error_code ec;
    self->acceptor.close(ec);
  });
}

std::size_t http_server::in_flight() const {
  return impl_->shared->in_flight.load();
}

} // namespace igbridge
