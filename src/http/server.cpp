// The Beast listener and its sessions, after Beast's advanced server example:
// one session per connection, each async step preceded by its deadline.
// The listener holds at most max_connections: at the cap a new connection
// closes the oldest idle one (an idle connection costs an attacker nothing,
// so it must not cost a real client its turn), and when every connection is
// busy, accepting pauses until one closes. EMFILE pauses accepting briefly
// instead of spinning.
//
// A request is read head first: one that asks for `Expect: 100-continue`
// is judged by its head (the listener's head check) and answered `100
// Continue` or refused before its sender commits the body; any other has
// its body, usually already buffered with the head, parsed at once.
// On stop, connections already accepted are served to the end of the
// exchange they are in; those not yet accepted stay in the kernel's queue,
// which an inherited (socket-activated) listening socket keeps open for
// the next process.

#include "igbridge/http_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <list>
#include <memory_resource>
#include <mutex>
#include <stdexcept>
#include <tuple>

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "igbridge/io_pool.hpp"
#include "http_errors.hpp"
#include "request_parser.hpp"
#include "response_head.hpp"

namespace igbridge {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// A session runs on its io_context's one thread (io_pool), so it needs no
// strand. It names the executor's type rather than asio's type-erased
// any_io_executor: every asynchronous step copies its executor several
// times, and a typed one copies without going through a vtable.
using session_executor = net::io_context::executor_type;
using stream_type = beast::basic_stream<tcp, session_executor>;
using socket_type = stream_type::socket_type;
using session_timer = net::basic_waitable_timer<std::chrono::steady_clock,
                                                net::wait_traits<std::chrono::steady_clock>,
                                                session_executor>;

class session;

/// Hands the actor's answer back to the session's thread; first answer wins.
class session_responder final : public responder {
public:
  session_responder(std::weak_ptr<session> s, session_executor ex)
    : session_(std::move(s)), ex_(std::move(ex)) {
    // nop
  }
  void respond(http_response r) override;

private:
  std::weak_ptr<session> session_;
  session_executor ex_;
  std::atomic<bool> done_{false};
};

/// Answers held by an answer_batch, one group per I/O thread.
struct held_answer {
  std::weak_ptr<session> to;
  http_response answer;
};
struct held_group {
  session_executor ex;
  std::vector<held_answer> answers;
};
/// The batch open on this thread, if any.
thread_local std::vector<held_group>* open_batch = nullptr;

/// What the acceptor and the sessions share. The session list is guarded
/// by a mutex: sessions live on several threads.
struct server_shared {
  http_server::routes routes;
  http_server_limits limits;
  std::function<void()> refused;
  std::atomic<std::size_t> in_flight{0};
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::list<std::weak_ptr<session>> sessions; // oldest first
  std::size_t open = 0;
  std::function<void()> on_close; // resumes a paused acceptor
};

/// What a passing head is told before its body is read (RFC 9110 §10.1.1).
constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";

/// Whether `msg` asks for `100 Continue` before sending its body. An
/// HTTP/1.0 sender's expectation is ignored, as RFC 9110 §10.1.1 requires.
template <class Message>
bool expects_continue(const Message& msg) {
  if (msg.version() < 11) {
    return false;
  }
  auto v = msg[bhttp::field::expect];
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
    v.remove_suffix(1);
  }
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
    v.remove_prefix(1);
  }
  return beast::iequals(v, "100-continue");
}

/// Blocks up to 1 KiB (a field's name and value in one) are pooled, a few
/// dozen per chunk; larger ones go to the heap, so a session's pool stays
/// small whatever its peer sends.
std::pmr::pool_options fields_pool_options() {
  std::pmr::pool_options o;
  o.max_blocks_per_chunk = 32;
  o.largest_required_pool_block = 1024;
  return o;
}

class session : public std::enable_shared_from_this<session> {
public:
  session(socket_type&& socket, std::shared_ptr<server_shared> shared)
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
    std::function<void()> resume;
    {
      std::lock_guard<std::mutex> lock{shared_->mu};
      if (registered_) {
        shared_->sessions.erase(place_);
        --shared_->open;
      }
      resume = shared_->on_close;
    }
    if (resume) {
      resume();
    }
  }

  /// Joins the server's list (under its lock, by the acceptor).
  void enlist(std::list<std::weak_ptr<session>>::iterator place) {
    place_ = place;
    registered_ = true;
  }

  void run() {
    // Start on the session's thread: the acceptor runs on another one.
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&session::do_read, shared_from_this()));
  }

  /// Whether the session waits for a request and is not being closed
  /// already: closing it would make room.
  bool evictable() const { return idle_.load() && !evicting_.load(); }

  /// Takes an evictable session for eviction, so that the next accept,
  /// which may come before it has closed, looks for another one.
  bool claim() { return idle_.load() && !evicting_.exchange(true); }

  /// Closes a claimed idle connection to make room for a new one.
  void evict() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->idle_.load()) {
        beast::error_code ec;
        self->stream_.socket().close(ec);
      } else {
        self->evicting_ = false; // a request came meanwhile: it stays
      }
    });
  }

  /// On stop: closes the connection if it waits between two requests with
  /// nothing of the next one received. A connection that never had a
  /// request is kept (its client has sent, or is sending, its first one),
  /// but one still silent gets only `stop_grace` to speak.
  void close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->idle_.load() || !self->nothing_received()) {
        return;
      }
      if (self->served_) {
        beast::error_code ec;
        self->stream_.socket().close(ec);
      } else {
        self->arm_stop_grace();
      }
    });
  }

  /// Called on the session's thread with the handler's answer.
  void deliver(http_response r) {
    wait_timer_.cancel();
    write(std::move(r), !keep_alive_ || shared_->stopping.load());
  }

private:
  void do_read() {
    if (shared_->stopping.load() && nothing_received()) {
      if (served_) {
        return do_close(); // nothing of a next request came: none is owed an answer
      }
      arm_stop_grace(); // accepted as the listener stopped
    }
    parser_.emplace(std::piecewise_construct, std::make_tuple(),
                    std::make_tuple(fields_allocator{&fields_pool_}));
    configure_request_parser(*parser_, shared_->limits);
    // Bytes already buffered are the next pipelined request: keep them.
    // One deadline covers headers and body: a client that trickles bytes
    // (slowloris) is dropped when it passes, however steadily it sends.
    stream_.expires_after(shared_->limits.read_deadline);
    idle_ = true;
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  /// After stop, a connection that never had a request and has sent
  /// nothing gets `stop_grace` to begin one. Its own timer: the stream's
  /// deadline cannot be changed under the read that waits.
  void arm_stop_grace() {
    wait_timer_.expires_after(shared_->limits.stop_grace);
    wait_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec && self->idle_.load() && self->nothing_received()) {
        beast::error_code ignored;
        self->stream_.socket().close(ignored);
      }
    });
  }

  /// Whether no byte of a next request has arrived (on the session's thread).
  bool nothing_received() {
    beast::error_code ec;
    return buffer_.size() == 0 && (!parser_ || !parser_->got_some())
           && stream_.socket().available(ec) == 0 && !ec;
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) {
      return on_read(ec, 0);
    }
    if (!parser_->is_done() && expects_continue(parser_->get())) {
      return on_expect();
    }
    read_body();
  }

  /// The sender waits for a word before sending its body: the head check
  /// refuses it now, or it is told to go on.
  void on_expect() {
    std::optional<http_response> refusal;
    if (shared_->routes.on_expect) {
      try {
        refusal = shared_->routes.on_expect(request_of(parser_->get(), false));
      } catch (const std::exception&) {
        refusal = error_response(500, "internal error");
      }
    }
    if (refusal) {
      // The body was not read: the connection cannot carry another request.
      // The sender may send it all the same (it need not wait for us), so
      // it is drained before closing, as after any early answer.
      idle_ = false;
      linger_ = true;
      head_ = parser_->get().method() == bhttp::verb::head;
      return write(std::move(*refusal), true);
    }
    if (buffer_.size() > 0) {
      return read_body(); // the body is on its way already: no word needed
    }
    // Within the read deadline: a peer that never reads this stays bounded.
    net::async_write(stream_, net::buffer(continue_line.data(), continue_line.size()),
                     beast::bind_front_handler(&session::on_continue, shared_from_this()));
  }

  void on_continue(beast::error_code ec, std::size_t) {
    if (ec) {
      return do_close();
    }
    read_body();
  }

  /// Reads the rest of the request. Usually its body came with its head:
  /// it is parsed here, without a second asynchronous read (a handler
  /// posted and its state allocated, per request).
  void read_body() {
    beast::error_code ec;
    parse_buffered_body(*parser_, buffer_, ec);
    if (ec) {
      return on_read(ec, 0);
    }
    if (parser_->is_done()) {
      return on_read({}, 0);
    }
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  /// The request as the routes see it; the body only when `with_body`
  /// (it is moved out).
  template <class Message>
  http_request request_of(Message& msg, bool with_body) {
    http_request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.remote = remote_;
    req.headers.reserve(static_cast<std::size_t>(std::distance(msg.begin(), msg.end())));
    for (auto& field : msg) {
      req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    if (with_body) {
      req.body = std::move(msg.body());
    }
    return req;
  }

  void on_read(beast::error_code ec, std::size_t) {
    idle_ = false;
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout
        || ec == net::error::operation_aborted || ec == net::error::connection_reset
        || ec == net::error::eof || ec == net::error::bad_descriptor) {
      return do_close();
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
    served_ = true;
    auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive();
    head_ = msg.method() == bhttp::verb::head;
    auto req = request_of(msg, true);
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
      shared_->routes.on_request(std::move(req), r);
    } catch (const std::exception&) {
      r->respond(error_response(500, "internal error"));
    }
  }

  void write(http_response r, bool close_after) {
    close_after_ = close_after;
    head_bytes_.clear();
    append_response_head(r, close_after, head_bytes_);
    // HEAD: the head a GET would get, Content-Length included, and no body.
    body_ = head_ || bodiless_status(r.status) ? std::string() : std::move(r.body);
    head_ = false;
    stream_.expires_after(shared_->limits.read_deadline);
    std::array<net::const_buffer, 2> bytes{net::buffer(head_bytes_), net::buffer(body_)};
    net::async_write(stream_, bytes,
                     beast::bind_front_handler(&session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    body_ = std::string(); // the next answer brings its own: a media file's bytes go now
    if (counted_) {
      counted_ = false;
      --shared_->in_flight;
    }
    if (ec || close_after_) {
      return do_close();
    }
    do_read();
  }

  void do_close() {
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
    drain_buf_ = std::make_unique<std::array<char, 16 * 1024>>();
    stream_.expires_after(std::chrono::seconds{2});
    do_drain();
  }

  void do_drain() {
    stream_.async_read_some(net::buffer(*drain_buf_),
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

  stream_type stream_;
  beast::flat_buffer buffer_;
  /// Header fields of the requests read: a keep-alive connection takes
  /// many, and without the pool each of their fields was allocated and
  /// freed on its own. Touched on its thread only; declared before the
  /// parser that uses it, so it outlives it.
  std::pmr::unsynchronized_pool_resource fields_pool_{fields_pool_options()};
  std::optional<request_parser> parser_;
  std::string head_bytes_; // the answer being written: its head
  std::string body_;       // and its body
  std::shared_ptr<server_shared> shared_;
  session_timer wait_timer_;
  std::string remote_;
  std::list<std::weak_ptr<session>>::iterator place_;
  bool registered_ = false;
  std::atomic<bool> idle_{false};
  std::atomic<bool> evicting_{false};
  bool keep_alive_ = false;
  bool head_ = false;
  bool close_after_ = false;
  bool counted_ = false; // this session holds one in_flight count
  bool served_ = false;  // a request was read on this connection
  bool linger_ = false;  // drain the request before closing (early answers)
  std::size_t drain_budget_ = 0;
  std::unique_ptr<std::array<char, 16 * 1024>> drain_buf_;
};

void session_responder::respond(http_response r) {
  if (done_.exchange(true)) {
    return;
  }
  if (open_batch != nullptr) {
    auto& groups = *open_batch;
    auto g = std::find_if(groups.begin(), groups.end(),
                          [this](const held_group& h) { return h.ex == ex_; });
    if (g == groups.end()) {
      g = groups.insert(groups.end(), held_group{ex_, {}});
    }
    g->answers.push_back(held_answer{session_, std::move(r)});
    return;
  }
  net::post(ex_, [s = session_, r = std::move(r)]() mutable {
    if (auto self = s.lock()) {
      self->deliver(std::move(r));
    }
  });
}

bool is_resource_error(const beast::error_code& ec) {
  return ec == net::error::no_descriptors || ec == net::error::no_buffer_space
         || ec == net::error::no_memory || ec.value() == ENFILE;
}

} // namespace

struct answer_batch::groups : std::vector<held_group> {};

answer_batch::answer_batch() {
  if (open_batch == nullptr) {
    groups_ = std::make_unique<groups>();
    open_batch = groups_.get();
  }
}

answer_batch::~answer_batch() {
  if (!groups_) {
    return; // an inner batch: the outer one sends
  }
  open_batch = nullptr;
  for (auto& g : *groups_) {
    net::post(g.ex, [answers = std::move(g.answers)]() mutable {
      for (auto& a : answers) {
        if (auto s = a.to.lock()) {
          s->deliver(std::move(a.answer));
        }
      }
    });
  }
}

struct http_server::impl : std::enable_shared_from_this<http_server::impl> {
  impl(io_pool& pool)
    : pool(pool), acceptor(net::make_strand(pool.main())), backoff(acceptor.get_executor()) {
    // nop
  }

  void do_accept() {
    paused = false;
    // Each connection goes to the next I/O thread and stays there.
    acceptor.async_accept(pool.next().get_executor(), [self = shared_from_this()](
                                                  beast::error_code ec, socket_type socket) {
      self->on_accept(ec, std::move(socket));
    });
  }

  void on_accept(beast::error_code ec, socket_type socket) {
    if (ec) {
      if (!acceptor.is_open()) {
        return;
      }
      // Out of descriptors (or a transient error): accepting again at once
      // would fail again at once and spin. Wait, then try again.
      backoff.expires_after(is_resource_error(ec) ? shared->limits.accept_backoff
                                                  : std::chrono::milliseconds{10});
      backoff.async_wait([self = shared_from_this()](beast::error_code e) {
        if (!e && self->acceptor.is_open()) {
          self->do_accept();
        }
      });
      return;
    }
    auto s = std::make_shared<session>(std::move(socket), shared);
    std::shared_ptr<session> evicted;
    // Sessions looked at stay referenced until the lock is gone: the last
    // reference dropped inside it would run a destructor that takes it.
    std::vector<std::shared_ptr<session>> looked_at;
    bool full = false;
    {
      std::lock_guard<std::mutex> lock{shared->mu};
      if (shared->open >= shared->limits.max_connections) {
        for (auto& w : shared->sessions) {
          looked_at.push_back(w.lock());
          if (looked_at.back() && looked_at.back()->claim()) {
            evicted = looked_at.back();
            break;
          }
        }
      }
      shared->sessions.push_back(s);
      s->enlist(std::prev(shared->sessions.end()));
      ++shared->open;
      if (shared->open >= shared->limits.max_connections && !evicted) {
        // At the cap, the next connection can still be taken when an idle
        // one can make room for it; pause only when none can.
        full = true;
        for (auto& w : shared->sessions) {
          looked_at.push_back(w.lock());
          if (looked_at.back() && looked_at.back()->evictable()) {
            full = false;
            break;
          }
        }
      }
    }
    if (evicted) {
      evicted->evict();
      if (shared->refused) {
        shared->refused();
      }
    }
    s->run();
    if (!acceptor.is_open()) {
      // Stopped after the kernel handed this connection over: it is served
      // all the same (its client may have sent its request already), and
      // accepting ends here.
      return;
    }
    if (full) {
      // Every connection is busy: leave new ones in the kernel's queue
      // until one closes (the session's destructor resumes us).
      paused = true;
      return;
    }
    do_accept();
  }

  /// From a closing session, on any thread.
  void resume() {
    net::post(acceptor.get_executor(), [self = shared_from_this()] {
      if (!self->paused || !self->acceptor.is_open()) {
        return;
      }
      std::size_t open = 0;
      {
        std::lock_guard<std::mutex> lock{self->shared->mu};
        open = self->shared->open;
      }
      if (open < self->shared->limits.max_connections) {
        self->do_accept();
      }
    });
  }

  io_pool& pool;
  tcp::acceptor acceptor;
  net::steady_timer backoff;
  bool paused = false; // touched on the acceptor's strand only
  std::shared_ptr<server_shared> shared = std::make_shared<server_shared>();
};

namespace {

/// An integer socket option of `fd`, or -1.
int socket_option(int fd, int name) {
  int value = 0;
  socklen_t len = sizeof value;
  return ::getsockopt(fd, SOL_SOCKET, name, &value, &len) == 0 ? value : -1;
}

/// Throws unless `fd` is a listening TCP socket of `want`'s family, and a
/// loopback one when `want` is: a socket unit that names the wrong socket
/// must not go unnoticed, nor open to the network a listener the
/// configuration keeps on loopback (an admin listener without a token).
void check_inherited(int fd, const tcp::endpoint& want, const listen_address& addr) {
  auto configured = addr.host + ":" + std::to_string(addr.port);
  int family = socket_option(fd, SO_DOMAIN);
  if (socket_option(fd, SO_TYPE) != SOCK_STREAM || socket_option(fd, SO_ACCEPTCONN) != 1
      || (family != AF_INET && family != AF_INET6)) {
    throw std::runtime_error("inherited descriptor " + std::to_string(fd)
                             + " is not a listening TCP socket (configured " + configured + ")");
  }
  if (family != (want.address().is_v6() ? AF_INET6 : AF_INET)) {
    throw std::runtime_error("inherited socket " + std::to_string(fd) + " is "
                             + (family == AF_INET6 ? "IPv6" : "IPv4") + " but " + configured
                             + " is " + (want.address().is_v6() ? "IPv6" : "IPv4"));
  }
  tcp::endpoint bound;
  socklen_t len = static_cast<socklen_t>(bound.capacity());
  if (::getsockname(fd, bound.data(), &len) == 0) {
    bound.resize(len);
    if (want.address().is_loopback() && !bound.address().is_loopback()) {
      throw std::runtime_error("inherited socket " + std::to_string(fd) + " listens on "
                               + bound.address().to_string() + " but " + configured
                               + " is loopback only");
    }
  }
}

} // namespace

http_server::http_server(io_pool& pool, const listen_address& addr, routes r,
                         http_server_limits limits, int inherited_fd)
  : impl_(std::make_shared<impl>(pool)) {
  impl_->shared->routes = std::move(r);
  impl_->shared->limits = limits;
  std::weak_ptr<impl> weak = impl_;
  impl_->shared->on_close = [weak] {
    if (auto i = weak.lock()) {
      i->resume();
    }
  };
  auto host = addr.host == "localhost" ? std::string("127.0.0.1") : addr.host;
  tcp::endpoint ep{net::ip::make_address(host), addr.port};
  auto& a = impl_->acceptor;
  if (inherited_fd >= 0) {
    check_inherited(inherited_fd, ep, addr);
    a.assign(ep.protocol(), inherited_fd);
    return;
  }
  a.open(ep.protocol());
  a.set_option(net::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(net::socket_base::max_listen_connections);
}

http_server::~http_server() {
  stop();
  std::lock_guard<std::mutex> lock{impl_->shared->mu};
  impl_->shared->on_close = nullptr;
}

uint16_t http_server::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

std::string http_server::local_address() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  if (ec) {
    return {};
  }
  auto host = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(ep.port());
}

void http_server::start() {
  net::dispatch(impl_->acceptor.get_executor(), [self = impl_] { self->do_accept(); });
}

void http_server::stop() {
  impl_->shared->stopping = true;
  net::dispatch(impl_->acceptor.get_executor(), [self = impl_] {
    beast::error_code ec;
    self->acceptor.close(ec);
    self->backoff.cancel();
  });
  // Sessions looked at stay referenced until the lock is gone (see on_accept).
  std::vector<std::shared_ptr<session>> sessions;
  {
    std::lock_guard<std::mutex> lock{impl_->shared->mu};
    for (auto& w : impl_->shared->sessions) {
      sessions.push_back(w.lock());
    }
  }
  for (auto& s : sessions) {
    if (s) {
      s->close_if_idle();
    }
  }
}

std::size_t http_server::in_flight() const {
  return impl_->shared->in_flight.load();
}

std::size_t http_server::open_connections() const {
  std::lock_guard<std::mutex> lock{impl_->shared->mu};
  return impl_->shared->open;
}

void http_server::on_refused(std::function<void()> f) {
  impl_->shared->refused = std::move(f);
}

} // namespace igbridge
