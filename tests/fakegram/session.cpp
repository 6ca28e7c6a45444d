/// One HTTP connection, Beast style: read, route (maybe after an injected
/// delay on a timer), write, repeat while keep-alive.

#include "session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <iostream>
#include <memory>
#include <optional>

namespace fakegram {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto read_timeout = std::chrono::seconds(60);
constexpr auto write_timeout = std::chrono::seconds(30);
constexpr std::uint32_t header_limit = 16 * 1024;
constexpr std::uint64_t body_limit = 1024 * 1024;

/// Paired do_/on_ steps as in Beast's examples; every socket step has its
/// deadline. The socket lives on a strand, and the delay timer shares its
/// executor, so no two handlers of a session ever run at once.
class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket&& socket, router& r)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), router_(r) {
    // nop
  }

  void run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&session::do_read, shared_from_this()));
  }

private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(header_limit);
    parser_->body_limit(body_limit);
    // One deadline covers header and body: the slowloris defence.
    stream_.expires_after(read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t n) {
    if (ec) {
      return on_read(ec, n);
    }
    // curl sends "Expect: 100-continue" for bodies over 1 KiB and stalls a
    // second unless told to go on.
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      continue_ = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *continue_,
                        beast::bind_front_handler(&session::on_continue, shared_from_this()));
      return;
    }
    read_body();
  }

  void on_continue(beast::error_code ec, std::size_t) {
    continue_.reset();
    if (ec) {
      return;
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) {
      return on_read({}, 0);
    }
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) {
      return do_close();
    }
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      return write_plain(ec == http::error::body_limit ? 413 : 431, "request too large\n", false);
    }
    if (ec) {
      // Timeouts, resets, garbage: nothing sensible to answer.
      return do_close();
    }
    auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    std::string content_type(msg[http::field::content_type]);
    std::string host(msg[http::field::host]);
    std::string authorization(msg[http::field::authorization]);
    request_ = make_request(std::string(msg.method_string()), std::string(msg.target()),
                            std::move(msg.body()), std::move(content_type), std::move(host),
                            authorization);
    plan_ = router_.begin(request_);
    if (plan_.delay_ms() > 0) {
      // An injected delay waits on a timer, never on a thread.
      stream_.expires_never();
      timer_.expires_after(std::chrono::milliseconds(plan_.delay_ms()));
      timer_.async_wait(beast::bind_front_handler(&session::on_delay, shared_from_this()));
      return;
    }
    answer();
  }

  void on_delay(beast::error_code ec) {
    if (ec) {
      return;
    }
    answer();
  }

  void answer() {
    auto r = router_.finish(request_, plan_);
    auto res = std::make_shared<http::response<http::string_body>>(
      static_cast<http::status>(r.status), version_);
    res->set(http::field::server, "fakegram");
    res->set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) {
      res->set(name, value);
    }
    res->keep_alive(keep_alive_);
    res->body() = std::move(r.body);
    res->prepare_payload();
    if (request_.method == "HEAD") {
      // HEAD: the GET's headers, Content-Length included, and no body.
      auto n = res->body().size();
      res->body().clear();
      res->content_length(n);
    }
    send(std::move(res));
  }

  void write_plain(unsigned status, const std::string& text, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
    res->set(http::field::server, "fakegram");
    res->set(http::field::content_type, "text/plain");
    res->keep_alive(keep_alive);
    res->body() = text;
    res->prepare_payload();
    send(std::move(res));
  }

  void send(std::shared_ptr<http::response<http::string_body>> res) {
    // The response must outlive the write: the session holds it until on_write.
    res_ = std::move(res);
    stream_.expires_after(write_timeout);
    http::async_write(stream_, *res_,
                      beast::bind_front_handler(&session::on_write, shared_from_this(),
                                                res_->keep_alive()));
  }

  void on_write(bool keep_alive, beast::error_code ec, std::size_t) {
    res_.reset();
    if (ec) {
      return;
    }
    if (!keep_alive) {
      return do_close();
    }
    do_read();
  }

  void do_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> res_;
  std::shared_ptr<http::response<http::empty_body>> continue_;
  router& router_;
  request request_;
  plan plan_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
};

} // namespace

void start_session(tcp::socket socket, router& r) {
  std::make_shared<session>(std::move(socket), r)->run();
}

} // namespace fakegram
