// The listener on a loopback port, driven by a raw socket so that every
// byte and its timing is the test's: `Expect: 100-continue` answered or
// refused from the head, bodies read with their head or after it, one
// deadline for both, pipelining, inherited sockets, and what stop() keeps.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "http/http_errors.hpp"
#include "igbridge/http_server.hpp"
#include "igbridge/io_pool.hpp"

using namespace igbridge;
using namespace std::chrono_literals;

namespace {

/// A blocking client socket whose reads give up after a timeout.
class raw_client {
public:
  explicit raw_client(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      throw std::runtime_error("connect failed");
    }
  }
  ~raw_client() { ::close(fd_); }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  void send(const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
      auto n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) {
        throw std::runtime_error("send failed");
      }
      off += static_cast<std::size_t>(n);
    }
  }

  /// Whether bytes (or the peer's close) arrive within `wait`.
  bool readable(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(wait.count())) > 0;
  }

  /// Reads until `what` is among the bytes read, the peer closes, or 5 s
  /// pass; returns all bytes read (and sets closed()).
  std::string read_until(const std::string& what) {
    auto until = std::chrono::steady_clock::now() + 5s;
    while (got_.find(what) == std::string::npos && !closed_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
      if (left <= 0ms || !readable(left)) {
        break;
      }
      char buf[4096];
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      got_.append(buf, static_cast<std::size_t>(n));
    }
    auto at = got_.find(what);
    auto end = at == std::string::npos ? got_.size() : at + what.size();
    auto out = got_.substr(0, end);
    got_.erase(0, end);
    return out;
  }

  /// Reads until the peer closes (or 5 s).
  std::string read_to_close() { return read_until(std::string(1, '\0') + "never"); }
  bool closed() const { return closed_; }

private:
  int fd_;
  std::string got_;
  bool closed_ = false;
};

/// A listener whose handler answers "METHOD TARGET BODY-SIZE" and whose
/// head check refuses a head without X-Sig (or one that came with a body:
/// the check must see none), counting both.
struct test_server {
  explicit test_server(http_server_limits limits = {}, int inherited_fd = -1) {
    http_server::routes r;
    r.on_request = [this](http_request req, responder_ptr reply) {
      ++requests;
      http_response res;
      res.status = 200;
      res.body = req.method + " " + req.target + " " + std::to_string(req.body.size());
      reply->respond(std::move(res));
    };
    r.on_expect = [this](const http_request& head) -> std::optional<http_response> {
      ++head_checks;
      if (header_value(head.headers, "X-Sig").empty() || !head.body.empty()) {
        return error_response(403, "missing signature");
      }
      return std::nullopt;
    };
    server = std::make_unique<http_server>(pool, listen_address{"127.0.0.1", 0}, std::move(r),
                                           limits, inherited_fd);
    server->start();
    pool.start();
  }
  ~test_server() {
    server->stop();
    pool.stop();
  }
  uint16_t port() const { return server->port(); }

  io_pool pool{2};
  std::atomic<int> requests{0};
  std::atomic<int> head_checks{0};
  std::unique_ptr<http_server> server;
};

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

bool eventually(const std::function<bool()>& pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

const std::string expecting_head = "POST /hooks HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n";

} // namespace

TEST_CASE("a head that passes its check is told 100 Continue, then its body is read") {
  test_server t;
  raw_client c{t.port()};
  c.send(expecting_head + "X-Sig: yes\r\nContent-Length: 5\r\n\r\n");
  CHECK(c.read_until("\r\n\r\n") == "HTTP/1.1 100 Continue\r\n\r\n");
  CHECK(t.requests == 0);
  c.send("hello");
  auto answer = c.read_until("POST /hooks 5");
  CHECK(starts_with(answer, "HTTP/1.1 200 OK\r\n"));
  CHECK(answer.find("Connection: close") == std::string::npos);
  CHECK(t.head_checks == 1);
  // The connection carries the next request as usual.
  c.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(starts_with(c.read_until("GET /next 0"), "HTTP/1.1 200 OK\r\n"));
  CHECK(t.head_checks == 1);
}

TEST_CASE("a head the check refuses gets its final answer at once, and the connection closes") {
  test_server t;
  raw_client c{t.port()};
  c.send(expecting_head + "Content-Length: 100000\r\n\r\n");
  auto answer = c.read_to_close();
  CHECK(starts_with(answer, "HTTP/1.1 403 Forbidden\r\n"));
  CHECK(answer.find("Connection: close\r\n") != std::string::npos);
  CHECK(answer.find("missing signature") != std::string::npos);
  CHECK(answer.find("100 Continue") == std::string::npos);
  CHECK(c.closed());
  CHECK(t.requests == 0);
  CHECK(t.head_checks == 1);
}

TEST_CASE("a refused sender that sends its body all the same still reads the answer") {
  test_server t;
  raw_client c{t.port()};
  c.send(expecting_head + "Content-Length: 200000\r\n\r\n");
  CHECK(c.readable(2s));
  c.send(std::string(200000, 'x')); // drained, so no reset destroys the answer
  CHECK(starts_with(c.read_to_close(), "HTTP/1.1 403"));
}

TEST_CASE("a Content-Length over the body limit is refused with 413 before the body") {
  http_server_limits limits;
  limits.body_limit = 1000;
  test_server t{limits};
  raw_client c{t.port()};
  c.send(expecting_head + "X-Sig: yes\r\nContent-Length: 1001\r\n\r\n");
  auto answer = c.read_to_close();
  CHECK(starts_with(answer, "HTTP/1.1 413"));
  CHECK(answer.find("100 Continue") == std::string::npos);
  CHECK(t.head_checks == 0);
  CHECK(t.requests == 0);
}

TEST_CASE("a sender that sends its body without waiting gets no 100 Continue") {
  test_server t;
  raw_client c{t.port()};
  c.send(expecting_head + "X-Sig: yes\r\nContent-Length: 5\r\n\r\nhello");
  CHECK(starts_with(c.read_until("POST /hooks 5"), "HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("an HTTP/1.0 request's expectation is ignored") {
  test_server t;
  raw_client c{t.port()};
  c.send("POST /old HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  CHECK_FALSE(c.readable(200ms));
  c.send("abc");
  CHECK(starts_with(c.read_until("POST /old 3"), "HTTP/1.1 200 OK\r\n"));
  CHECK(t.head_checks == 0);
}

TEST_CASE("without Expect, pipelined requests are answered in order") {
  test_server t;
  raw_client c{t.port()};
  c.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
         "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
         "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         "4\r\nwxyz\r\n0\r\n\r\n");
  auto all = c.read_until("POST /c 4");
  auto a = all.find("POST /a 3");
  auto b = all.find("GET /b 0");
  REQUIRE(a != std::string::npos);
  REQUIRE(b != std::string::npos);
  CHECK(a < b);
  CHECK(t.head_checks == 0);
}

TEST_CASE("a body that comes after its head is read") {
  test_server t;
  raw_client c{t.port()};
  c.send("POST /late HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nab");
  std::this_thread::sleep_for(100ms);
  c.send("cdef");
  CHECK(starts_with(c.read_until("POST /late 6"), "HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("one deadline covers the head and the body") {
  http_server_limits limits;
  limits.read_deadline = 400ms;
  test_server t{limits};
  raw_client c{t.port()};
  auto start = std::chrono::steady_clock::now();
  c.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n");
  // A byte every 100 ms would take 4 s; the deadline set before the head
  // was read is not extended by the body's bytes.
  for (int i = 0; i < 40 && !c.readable(100ms); ++i) {
    try {
      c.send("x");
    } catch (const std::runtime_error&) {
      break;
    }
  }
  c.read_to_close();
  CHECK(c.closed());
  CHECK(std::chrono::steady_clock::now() - start < 1500ms);
  CHECK(t.requests == 0);
}

TEST_CASE("an inherited listening socket is served instead of a bound one") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  auto port = ntohs(a.sin_port);
  test_server t{{}, fd};
  CHECK(t.port() == port);
  CHECK(t.server->local_address() == "127.0.0.1:" + std::to_string(port));
  raw_client c{port};
  c.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(starts_with(c.read_until("GET /x 0"), "HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("an inherited socket that does not fit the configured address is refused") {
  io_pool pool{1};
  auto attempt = [&](int fd) {
    http_server::routes r;
    r.on_request = [](http_request, responder_ptr) {};
    try {
      http_server s{pool, listen_address{"127.0.0.1", 0}, r, {}, fd};
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  SECTION("not listening") {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    CHECK(attempt(fd).find("not a listening TCP socket") != std::string::npos);
    ::close(fd);
  }
  SECTION("not on loopback when the configuration says loopback") {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET; // INADDR_ANY, any port
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    CHECK(attempt(fd).find("listens on 0.0.0.0 but 127.0.0.1:0 is loopback only")
          != std::string::npos);
    ::close(fd);
  }
  SECTION("another address family") {
    int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0 || ::listen(fd, 1) != 0) {
      WARN("no IPv6 here");
    } else {
      CHECK(attempt(fd).find("is IPv6 but 127.0.0.1:0 is IPv4") != std::string::npos);
    }
    ::close(fd);
  }
}

TEST_CASE("stop closes connections between requests and serves those that just came") {
  http_server_limits limits;
  limits.stop_grace = 300ms;
  test_server t{limits};
  raw_client idle{t.port()};
  idle.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(starts_with(idle.read_until("GET /one 0"), "HTTP/1.1 200 OK\r\n"));
  raw_client fresh{t.port()}; // accepted, nothing sent yet
  raw_client silent{t.port()}; // accepted, never says a word
  REQUIRE(eventually([&] { return t.server->open_connections() == 3; }));
  auto stopped = std::chrono::steady_clock::now();
  t.server->stop();
  idle.read_to_close();
  CHECK(idle.closed());
  CHECK(std::chrono::steady_clock::now() - stopped < 200ms);
  fresh.send("GET /two HTTP/1.1\r\nHost: x\r\n\r\n");
  auto answer = fresh.read_to_close();
  CHECK(starts_with(answer, "HTTP/1.1 200 OK\r\n"));
  CHECK(answer.find("Connection: close\r\n") != std::string::npos);
  CHECK(answer.find("GET /two 0") != std::string::npos);
  CHECK(silent.read_to_close().empty());
  CHECK(silent.closed());
  auto waited = std::chrono::steady_clock::now() - stopped;
  CHECK(waited >= 250ms);
  CHECK(waited < 2s);
  CHECK(eventually([&] { return t.server->open_connections() == 0; }));
}
