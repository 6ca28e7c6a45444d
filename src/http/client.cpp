#include "igbridge/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "client_pool.hpp"
#include "igbridge/urls.hpp"

namespace igbridge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr const char* user_agent = "igbridge/0.1";
constexpr std::uint32_t response_header_limit = 64 * 1024;
/// A streamed download's memory: one chunk (besides the connection's buffer).
constexpr std::size_t stream_chunk = 64 * 1024;
/// An error page answered instead of a streamed download is read whole; it
/// has no business being large.
constexpr std::uint64_t error_body_limit = 64 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
              return std::tolower(static_cast<unsigned char>(x))
                     == std::tolower(static_cast<unsigned char>(y));
            });
}

std::string lower(std::string s) {
  for (auto& c : s) {
    c = char(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

bool is_loopback(const std::string& host) {
  if (iequals(host, "localhost")) {
    return true;
  }
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) {
    return false;
  }
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).is_loopback();
  }
  return addr.is_loopback();
}

/// "host" or "[v6]" — how the host appears in an authority.
std::string authority_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

} // namespace

// -- shared client state ------------------------------------------------------

namespace {

/// Everything an exchange needs after the http_client itself may be gone;
/// exchanges hold it by shared_ptr.
struct client_core {
  client_core(asio::io_context& io, http_client_options o)
    : io(io),
      opts(o),
      tls_ctx(ssl::context::tls_client),
      pool(std::make_shared<client_pool>(io, o.max_idle_per_host, o.idle_timeout)) {
    // System CA store; SSL_CERT_FILE / SSL_CERT_DIR override it (tests use that).
    tls_ctx.set_default_verify_paths();
    tls_ctx.set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_min_proto_version(tls_ctx.native_handle(), TLS1_2_VERSION);
  }

  asio::io_context& io;
  http_client_options opts;
  ssl::context tls_ctx;
  std::shared_ptr<client_pool> pool;
};

// -- one request/response exchange --------------------------------------------

/// One request from send() to callback. It runs on a single strand: a fresh
/// one, or the strand of the pooled connection it reuses, so its handlers
/// never run concurrently. `finished_` guards the exactly-once callback.
class exchange : public std::enable_shared_from_this<exchange> {
public:
  exchange(std::shared_ptr<client_core> client, http_request req,
           http_client::callback done, std::chrono::milliseconds timeout)
    : client_(std::move(client)),
      in_(std::move(req)),
      done_(std::move(done)),
      deadline_(clock_type::now() + timeout) {
    // nop
  }

  /// Runs on an io_context thread (posted by send()).
  void start() {
    auto parts = parse_url(in_.url);
    if (!parts) {
      // Not even the scheme is echoed: a malformed URL may still hold a token.
      return finish_error("unsupported or malformed url");
    }
    url_ = std::move(*parts);
    tls_ = url_.scheme == "https";
    origin_ = url_.scheme + "://" + authority_host(url_.host) + ":" + url_.port;
    key_ = url_.scheme + "://" + authority_host(lower(url_.host)) + ":" + url_.port;
    if (!tls_ && !(client_->opts.allow_plain_loopback && is_loopback(url_.host))) {
      return finish_error("plain http is only allowed to loopback");
    }
    build_request();
    if (auto conn = client_->pool->take(key_)) {
      conn_ = std::move(conn);
      exec_ = conn_->tcp().get_executor();
      asio::post(exec_, beast::bind_front_handler(&exchange::do_write, shared_from_this()));
    } else {
      exec_ = asio::make_strand(client_->io);
      asio::post(exec_, beast::bind_front_handler(&exchange::do_resolve, shared_from_this()));
    }
  }

private:
  void build_request() {
    auto verb = http::string_to_verb(in_.method);
    if (verb == http::verb::unknown) {
      req_.method_string(in_.method);
    } else {
      req_.method(verb);
    }
    req_.target(url_.target);
    req_.version(11);
    bool default_port = (tls_ && url_.port == "443") || (!tls_ && url_.port == "80");
    auto host = authority_host(url_.host);
    req_.set(http::field::host, default_port ? host : host + ":" + url_.port);
    req_.set(http::field::user_agent, user_agent);
    for (auto& [name, value] : in_.headers) {
      if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) {
        continue; // framing is ours: prepare_payload() decides it from the body
      }
      if (iequals(name, "host") || iequals(name, "user-agent")) {
        req_.set(name, value); // the caller's choice wins over the defaults
      } else {
        req_.insert(name, value);
      }
    }
    req_.body() = std::move(in_.body);
    req_.prepare_payload();
    head_ = req_.method() == http::verb::head;
  }

  // -- resolve & connect (fresh connections only) ------------------------------

  void do_resolve() {
    // getaddrinfo cannot be interrupted, so the deadline for this step is our
    // own timer: when it fires we answer "timeout" and ignore the late result.
    resolver_.emplace(exec_);
    resolve_timer_.emplace(exec_, deadline_);
    resolve_timer_->async_wait(
      beast::bind_front_handler(&exchange::on_resolve_timeout, shared_from_this()));
    resolver_->async_resolve(url_.host, url_.port,
                             beast::bind_front_handler(&exchange::on_resolve, shared_from_this()));
  }

  void on_resolve_timeout(beast::error_code ec) {
    if (ec == asio::error::operation_aborted || finished_) {
      return;
    }
    resolver_->cancel();
    finish_error("timeout");
  }

  void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    resolve_timer_->cancel();
    if (finished_) {
      return;
    }
    if (ec) {
      return fail(ec, "resolve");
    }
    if (!tls_) {
      // "localhost" passed the name check; make sure it also resolves to
      // loopback only, so plain text never leaves the machine.
      for (auto& entry : results) {
        if (!entry.endpoint().address().is_loopback()) {
          return finish_error("plain http is only allowed to loopback");
        }
      }
    }
    conn_ = std::make_unique<client_connection>();
    conn_->key = key_;
    if (tls_) {
      conn_->tls.emplace(exec_, client_->tls_ctx);
      auto* ssl = conn_->tls->native_handle();
      // SNI carries names only; an IP literal is verified against the cert's
      // IP SANs by host_name_verification instead.
      if (!is_ip_literal(url_.host) && !SSL_set_tlsext_host_name(ssl, url_.host.c_str())) {
        beast::error_code sni_ec{static_cast<int>(::ERR_get_error()),
                                 asio::error::get_ssl_category()};
        return fail(sni_ec, "tls setup");
      }
      conn_->tls->set_verify_mode(ssl::verify_peer);
      // The Beast examples omit this: without it any valid cert for any name passes.
      conn_->tls->set_verify_callback(ssl::host_name_verification(url_.host));
    } else {
      conn_->plain.emplace(exec_);
    }
    auto connect_deadline = std::min(deadline_, clock_type::now() + client_->opts.connect_timeout);
    conn_->tcp().expires_at(connect_deadline);
    conn_->tcp().async_connect(results,
                               beast::bind_front_handler(&exchange::on_connect, shared_from_this()));
  }

  void on_connect(beast::error_code ec, const tcp::endpoint&) {
    if (ec) {
      return fail(ec, "connect");
    }
    if (tls_) {
      conn_->tcp().expires_at(deadline_);
      conn_->tls->async_handshake(
        ssl::stream_base::client,
        beast::bind_front_handler(&exchange::on_handshake, shared_from_this()));
    } else {
      do_write();
    }
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      return fail(ec, "tls handshake");
    }
    do_write();
  }

  // -- request & response -------------------------------------------------------

  void do_write() {
    conn_->tcp().expires_at(deadline_);
    conn_->visit([this](auto& stream) {
      http::async_write(stream, req_,
                        beast::bind_front_handler(&exchange::on_write, shared_from_this()));
    });
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) {
      if (can_retry(ec)) {
        return retry();
      }
      return fail(ec, "write");
    }
    do_read();
  }

  void do_read() {
    if (in_.sink) {
      return do_read_head();
    }
    parser_.emplace();
    // Limits must be set before the first byte is parsed.
    parser_->header_limit(response_header_limit);
    parser_->body_limit(in_.max_body != 0 ? in_.max_body : client_->opts.max_body);
    if (head_) {
      parser_->skip(true); // a HEAD answer has Content-Length but no body
    }
    // One deadline bounds the whole header+body read.
    conn_->tcp().expires_at(deadline_);
    conn_->visit([this](auto& stream) {
      http::async_read(stream, conn_->buffer, *parser_,
                       beast::bind_front_handler(&exchange::on_read, shared_from_this()));
    });
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) {
      // Nothing of the answer arrived: the server most likely closed the
      // parked connection as we reused it. Safe to send once more.
      if (!parser_->got_some() && can_retry(ec)) {
        return retry();
      }
      return fail(ec, "read");
    }
    auto msg = parser_->release();
    auto body = std::move(msg.body());
    answered(msg, std::move(body));
  }

  /// The whole answer is in: the connection goes back to the pool when it
  /// may carry the next request, and the caller gets status, headers, body.
  template <class Message>
  void answered(const Message& msg, std::string body) {
    http_response res;
    res.status = static_cast<int>(msg.result_int());
    for (auto& field : msg) {
      res.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    res.body = std::move(body);
    // Leftover bytes would be the start of an answer nobody asked for.
    if (msg.keep_alive() && conn_->buffer.size() == 0) {
      conn_->tcp().expires_never();
      conn_->reused = false;
      client_->pool->put(std::move(conn_));
    }
    conn_.reset();
    finish(std::move(res));
  }

  // -- a body streamed to the request's sink ---------------------------------------

  /// The head first: only a 200's body goes to the sink; any other answer
  /// (an error page) is read as usual, with a small limit.
  void do_read_head() {
    head_parser_.emplace();
    head_parser_->header_limit(response_header_limit);
    head_parser_->body_limit(in_.max_body != 0 ? in_.max_body : client_->opts.max_body);
    if (head_) {
      head_parser_->skip(true);
    }
    conn_->tcp().expires_at(deadline_);
    conn_->visit([this](auto& stream) {
      http::async_read_header(stream, conn_->buffer, *head_parser_,
                              beast::bind_front_handler(&exchange::on_read_head,
                                                        shared_from_this()));
    });
  }

  void on_read_head(beast::error_code ec, std::size_t) {
    if (ec) {
      if (!head_parser_->got_some() && can_retry(ec)) {
        return retry();
      }
      return fail(ec, "read");
    }
    if (head_parser_->get().result_int() != 200 || head_parser_->is_done()) {
      // Beast changes a parser's body type once the head is read.
      auto len = head_parser_->content_length();
      if (len && *len > error_body_limit) {
        return finish_error("response too large");
      }
      parser_.emplace(std::move(*head_parser_));
      parser_->body_limit(error_body_limit);
      head_parser_.reset();
      if (parser_->is_done()) {
        return on_read({}, 0);
      }
      conn_->visit([this](auto& stream) {
        http::async_read(stream, conn_->buffer, *parser_,
                         beast::bind_front_handler(&exchange::on_read, shared_from_this()));
      });
      return;
    }
    body_parser_.emplace(std::move(*head_parser_));
    head_parser_.reset();
    if (!conn_->chunk) {
      conn_->chunk.reset(new char[stream_chunk]); // not zeroed: it is only written into
    }
    do_read_body();
  }

  void do_read_body() {
    auto& body = body_parser_->get().body();
    body.data = conn_->chunk.get();
    body.size = stream_chunk;
    conn_->visit([this](auto& stream) {
      http::async_read(stream, conn_->buffer, *body_parser_,
                       beast::bind_front_handler(&exchange::on_read_body, shared_from_this()));
    });
  }

  void on_read_body(beast::error_code ec, std::size_t) {
    if (ec == http::error::need_buffer) {
      ec = {}; // the chunk is full: hand it on, then read the next one
    }
    if (ec) {
      return fail(ec, "read");
    }
    auto got = stream_chunk - body_parser_->get().body().size;
    if (got > 0) {
      if (auto why = in_.sink->write({conn_->chunk.get(), got}); !why.empty()) {
        return finish_error(std::move(why)); // the connection goes with it
      }
    }
    if (!body_parser_->is_done()) {
      return do_read_body();
    }
    streamed_ = true;
    answered(body_parser_->get(), {});
  }

  // -- retry, failure, completion -------------------------------------------------

  bool can_retry(beast::error_code ec) const {
    return conn_ && conn_->reused && !retried_ && ec != beast::error::timeout
           && clock_type::now() < deadline_;
  }

  void retry() {
    retried_ = true;
    conn_.reset();
    parser_.reset();
    head_parser_.reset();
    // We are on exec_ (the old connection's strand): the fresh connection,
    // its resolver and timer stay on it, so nothing here runs concurrently.
    do_resolve();
  }

  void fail(beast::error_code ec, const char* what) {
    if (ec == beast::error::timeout
        || (ec == asio::error::operation_aborted && clock_type::now() >= deadline_)) {
      return finish_error("timeout");
    }
    if (ec == http::error::body_limit) {
      return finish_error("response too large");
    }
    if (ec == http::error::header_limit) {
      return finish_error("response header too large");
    }
    // origin_ only: the target's query may carry an access token.
    finish_error(std::string(what) + " " + origin_ + ": " + ec.message());
  }

  void finish_error(std::string text) {
    http_response res;
    res.error = std::move(text);
    finish(std::move(res));
  }

  void finish(http_response res) {
    if (finished_) {
      return;
    }
    finished_ = true;
    conn_.reset(); // a failed connection is never reused
    if (in_.sink) {
      // Before the callback: the caller reads the sink's result in it.
      in_.sink->finish(streamed_);
    }
    auto done = std::move(done_);
    done_ = nullptr;
    if (!done) {
      return;
    }
    try {
      done(std::move(res));
    } catch (...) {
      // The caller's bug must not unwind through asio and kill the io thread.
    }
  }

  std::shared_ptr<client_core> client_;
  http_request in_;
  http_client::callback done_;
  clock_type::time_point deadline_;

  url_parts url_;
  bool tls_ = false;
  bool head_ = false;
  std::string origin_; // scheme://host:port, what errors may show
  std::string key_;    // pool key
  http::request<http::string_body> req_;

  asio::any_io_executor exec_;
  std::optional<tcp::resolver> resolver_;
  std::optional<asio::steady_timer> resolve_timer_;
  client_connection_ptr conn_;
  std::optional<http::response_parser<http::string_body>> parser_;
  // A streamed download: the head, then the body in chunks to in_.sink.
  std::optional<http::response_parser<http::empty_body>> head_parser_;
  std::optional<http::response_parser<http::buffer_body>> body_parser_;
  bool streamed_ = false; // the whole body went to the sink
  bool retried_ = false;
  bool finished_ = false;
};

} // namespace

/// The pimpl is the shared core itself; only its name is private.
struct http_client::impl : client_core {
  using client_core::client_core;
};

// -- http_client ----------------------------------------------------------------

http_client::http_client(asio::io_context& io, http_client_options opts)
  : impl_(std::make_shared<impl>(io, opts)) {
  // nop
}

http_client::~http_client() {
  // In-flight exchanges keep impl_ alive and finish normally; they just stop
  // parking their connections.
  impl_->pool->shutdown();
}

void http_client::send(http_request req, callback done, std::chrono::milliseconds timeout) {
  auto ex = std::make_shared<exchange>(impl_, std::move(req), std::move(done), timeout);
  // Everything, including a refusal, happens on an io thread: the caller never
  // blocks and never sees its callback run inline.
  asio::post(impl_->io, [ex] { ex->start(); });
}

void http_client::close_idle() {
  impl_->pool->close_idle();
}

} // namespace igbridge
