#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include "igbridge/http_client.hpp"

using namespace igbridge;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using req_t = http::request<http::string_body>;
using res_t = http::response<http::string_body>;

/// The client's io_context, run on one thread like the daemon's asio pool.
/// Declare it before the server and the client: it must outlive both.
struct io_runner {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~io_runner() {
    guard.reset();
    thread.join();
  }
};

/// What the test server does with one request.
enum class action {
  reply,       // answer, keep the connection
  reply_close, // answer (keep-alive as far as the client knows), then close
  drop,        // close without answering
  hold,        // never answer; wait for the client to give up
};

/// A blocking Beast server on 127.0.0.1:0, one thread per connection, plain
/// or TLS. Declare the client after it, so the client's idle connections
/// close before the server joins its threads.
class test_server {
public:
  using handler = std::function<action(const req_t&, res_t&, int n)>;

  explicit test_server(handler h, ssl::context* tls = nullptr) : h_(std::move(h)), tls_(tls) {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread{[this] { run(); }};
  }

  ~test_server() {
    stop_ = true;
    beast::error_code ec;
    tcp::socket wake{io_};
    wake.connect(acceptor_.local_endpoint(), ec);
    accept_thread_.join();
    for (auto& t : conn_threads_) {
      t.join();
    }
  }

  std::string url(const std::string& target, const std::string& host = "127.0.0.1") const {
    return std::string(tls_ ? "https" : "http") + "://" + host + ":" + std::to_string(port_)
           + target;
  }

  unsigned short port() const {
    return port_;
  }

  int connections() const {
    return connections_;
  }

  int handshake_failures() const {
    return handshake_failures_;
  }

  std::vector<req_t> requests() {
    std::lock_guard<std::mutex> guard{mtx_};
    return requests_;
  }

  std::string last_sni() {
    std::lock_guard<std::mutex> guard{mtx_};
    return sni_;
  }

private:
  void run() {
    for (;;) {
      tcp::socket sock{io_};
      beast::error_code ec;
      acceptor_.accept(sock, ec);
      if (stop_ || ec) {
        return;
      }
      ++connections_;
      conn_threads_.emplace_back([this, s = std::move(sock)]() mutable { session(std::move(s)); });
    }
  }

  void session(tcp::socket sock) {
    if (!tls_) {
      serve(sock);
      return;
    }
    ssl::stream<tcp::socket> stream{std::move(sock), *tls_};
    beast::error_code ec;
    stream.handshake(ssl::stream_base::server, ec);
    if (ec) {
      ++handshake_failures_;
      return;
    }
    if (auto* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
      std::lock_guard<std::mutex> guard{mtx_};
      sni_ = name;
    }
    serve(stream);
  }

  template <class Stream>
  void serve(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      req_t req;
      beast::error_code ec;
      http::read(stream, buffer, req, ec);
      if (ec) {
        return;
      }
      int n;
      {
        std::lock_guard<std::mutex> guard{mtx_};
        requests_.push_back(req);
        n = static_cast<int>(requests_.size());
      }
      res_t res{http::status::ok, 11};
      res.set(http::field::server, "test");
      auto what = h_(req, res, n);
      if (what == action::drop) {
        return;
      }
      if (what == action::hold) {
        char c;
        stream.read_some(asio::buffer(&c, 1), ec); // returns when the client closes
        return;
      }
      res.prepare_payload();
      http::write(stream, res, ec);
      if (ec || what == action::reply_close) {
        return;
      }
    }
  }

  handler h_;
  ssl::context* tls_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> handshake_failures_{0};
  std::mutex mtx_;
  std::vector<req_t> requests_;
  std::string sni_;
  std::thread accept_thread_;
  std::vector<std::thread> conn_threads_; // touched by the accept thread only
};

action reply_ok(const req_t&, res_t& res, int) {
  res.body() = "ok";
  return action::reply;
}

/// Sends and waits: fine in a test thread, never in the daemon. No Catch2
/// assertion in here: Catch2 is not thread-safe and senders may be threads.
std::optional<http_response> send_raw(http_client& client, http_request req,
                                      std::chrono::milliseconds timeout = 5s) {
  auto p = std::make_shared<std::promise<http_response>>();
  auto f = p->get_future();
  client.send(std::move(req), [p](http_response res) { p->set_value(std::move(res)); }, timeout);
  if (f.wait_for(20s) != std::future_status::ready) {
    return std::nullopt;
  }
  return f.get();
}

http_response send_wait(http_client& client, http_request req,
                        std::chrono::milliseconds timeout = 5s) {
  auto res = send_raw(client, std::move(req), timeout);
  REQUIRE(res);
  return *res;
}

http_request get(const std::string& url) {
  http_request r;
  r.url = url;
  return r;
}

std::string header(const req_t& req, http::field f) {
  return std::string(req[f]);
}

// -- a self-signed certificate, made in memory ----------------------------------

struct test_cert {
  std::string cert_pem;
  std::string key_pem;
};

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  auto n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

test_cert make_self_signed(const char* san) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  REQUIRE(key);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("igbridge test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, san},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    REQUIRE(ext);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  REQUIRE(X509_sign(x, key, EVP_sha256()) > 0);
  test_cert out;
  BIO* cb = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cb, x);
  out.cert_pem = bio_string(cb);
  BIO_free(cb);
  BIO* kb = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(kb, key, nullptr, nullptr, 0, nullptr, nullptr);
  out.key_pem = bio_string(kb);
  BIO_free(kb);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

std::unique_ptr<ssl::context> server_tls(const test_cert& cert) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->use_certificate_chain(asio::buffer(cert.cert_pem));
  ctx->use_private_key(asio::buffer(cert.key_pem), ssl::context::pem);
  return ctx;
}

/// Points OpenSSL's default CA file at `pem` while alive; the client reads it
/// in its constructor (set_default_verify_paths honours SSL_CERT_FILE).
class trusted_ca {
public:
  explicit trusted_ca(const std::string& pem) {
    path_ = std::filesystem::temp_directory_path()
            / ("igbridge_client_test_" + std::to_string(::getpid()) + ".pem");
    std::ofstream{path_} << pem;
    if (auto* old = std::getenv("SSL_CERT_FILE")) {
      old_ = old;
    }
    ::setenv("SSL_CERT_FILE", path_.c_str(), 1);
  }
  ~trusted_ca() {
    if (old_) {
      ::setenv("SSL_CERT_FILE", old_->c_str(), 1);
    } else {
      ::unsetenv("SSL_CERT_FILE");
    }
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }

private:
  std::filesystem::path path_;
  std::optional<std::string> old_;
};

} // namespace

// -- plain HTTP on loopback -----------------------------------------------------

TEST_CASE("http_client: GET round trip carries target, headers and body", "[http][client]") {
  io_runner rt;
  test_server server{[](const req_t&, res_t& res, int) {
    res.set("X-Reply", "yes");
    res.body() = "hello";
    return action::reply;
  }};
  http_client client{rt.io};
  auto req = get(server.url("/path?q=1"));
  req.headers.emplace_back("X-Test", "abc");
  auto res = send_wait(client, req);
  CHECK(res.error == "");
  CHECK(res.status == 200);
  CHECK(res.body == "hello");
  CHECK(header_value(res.headers, "x-reply") == "yes");
  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method() == http::verb::get);
  CHECK(seen[0].target() == "/path?q=1");
  CHECK(header(seen[0], http::field::host) == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(header(seen[0], http::field::user_agent) == "igbridge/0.1");
  CHECK(std::string(seen[0]["X-Test"]) == "abc");
}

TEST_CASE("http_client: POST sends body with Content-Length", "[http][client]") {
  io_runner rt;
  test_server server{[](const req_t& req, res_t& res, int) {
    res.result(http::status::created);
    res.body() = "got " + req.body();
    return action::reply;
  }};
  http_client client{rt.io};
  http_request req;
  req.method = "POST";
  req.url = server.url("/submit");
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.body = "a=1&b=2";
  auto res = send_wait(client, req);
  CHECK(res.status == 201);
  CHECK(res.body == "got a=1&b=2");
  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method() == http::verb::post);
  CHECK(seen[0].body() == "a=1&b=2");
  CHECK(header(seen[0], http::field::content_length) == "7");
  CHECK(header(seen[0], http::field::content_type) == "application/x-www-form-urlencoded");
}

TEST_CASE("http_client: keep-alive connection is reused", "[http][client]") {
  io_runner rt;
  test_server server{reply_ok};
  http_client client{rt.io};
  CHECK(send_wait(client, get(server.url("/1"))).status == 200);
  CHECK(send_wait(client, get(server.url("/2"))).status == 200);
  CHECK(send_wait(client, get(server.url("/3"))).status == 200);
  CHECK(server.connections() == 1);
  CHECK(server.requests().size() == 3);
}

TEST_CASE("http_client: close_idle forces a new connection", "[http][client]") {
  io_runner rt;
  test_server server{reply_ok};
  http_client client{rt.io};
  CHECK(send_wait(client, get(server.url("/1"))).status == 200);
  client.close_idle();
  CHECK(send_wait(client, get(server.url("/2"))).status == 200);
  CHECK(server.connections() == 2);
}

TEST_CASE("http_client: server closing an idle connection is survived", "[http][client]") {
  io_runner rt;
  test_server server{[](const req_t&, res_t& res, int) {
    res.body() = "ok";
    return action::reply_close; // says nothing, closes after answering
  }};
  http_client client{rt.io};
  CHECK(send_wait(client, get(server.url("/1"))).status == 200);
  auto res = send_wait(client, get(server.url("/2")));
  CHECK(res.error == "");
  CHECK(res.status == 200);
  CHECK(server.connections() == 2);
}

TEST_CASE("http_client: stale reused connection is retried once on a fresh one",
          "[http][client]") {
  io_runner rt;
  // The second request arrives on the kept-alive connection and the server
  // closes it without a byte of answer: the race a pool check cannot see.
  test_server server{[](const req_t&, res_t& res, int n) {
    res.body() = "ok";
    return n == 2 ? action::drop : action::reply;
  }};
  http_client client{rt.io};
  CHECK(send_wait(client, get(server.url("/1"))).status == 200);
  auto res = send_wait(client, get(server.url("/2")));
  CHECK(res.error == "");
  CHECK(res.status == 200);
  CHECK(server.connections() == 2);
  CHECK(server.requests().size() == 3);
}

TEST_CASE("http_client: a fresh connection that fails is not retried", "[http][client]") {
  io_runner rt;
  test_server server{[](const req_t&, res_t&, int) { return action::drop; }};
  http_client client{rt.io};
  auto res = send_wait(client, get(server.url("/x?access_token=SECRET")));
  CHECK(res.status == 0);
  CHECK(res.error.find("read") != std::string::npos);
  CHECK(res.error.find("SECRET") == std::string::npos);
  CHECK(server.requests().size() == 1);
}

TEST_CASE("http_client: deadline gives status 0 and 'timeout'", "[http][client]") {
  io_runner rt;
  test_server server{[](const req_t&, res_t&, int) { return action::hold; }};
  http_client client{rt.io};
  auto start = std::chrono::steady_clock::now();
  auto res = send_wait(client, get(server.url("/slow")), 300ms);
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(res.status == 0);
  CHECK(res.error == "timeout");
  CHECK(elapsed >= 250ms);
  CHECK(elapsed < 3s);
}

TEST_CASE("http_client: connection refused gives status 0 without the query",
          "[http][client]") {
  io_runner rt;
  unsigned short port;
  {
    // A port that was just free: nothing listens there now.
    asio::io_context io;
    tcp::acceptor a{io, {asio::ip::make_address("127.0.0.1"), 0}};
    port = a.local_endpoint().port();
  }
  http_client client{rt.io};
  auto url = "http://127.0.0.1:" + std::to_string(port) + "/x?access_token=SECRET";
  auto res = send_wait(client, get(url));
  CHECK(res.status == 0);
  CHECK(res.error.find("connect http://127.0.0.1:" + std::to_string(port)) == 0);
  CHECK(res.error.find("SECRET") == std::string::npos);
}

TEST_CASE("http_client: plain http only to loopback", "[http][client]") {
  io_runner rt;
  SECTION("non-loopback host is refused before any network") {
    http_client client{rt.io};
    auto res = send_wait(client, get("http://example.com/x?access_token=SECRET"));
    CHECK(res.status == 0);
    CHECK(res.error == "plain http is only allowed to loopback");
  }
  SECTION("loopback is refused too when allow_plain_loopback is off") {
    http_client_options opts;
    opts.allow_plain_loopback = false;
    http_client client{rt.io, opts};
    auto res = send_wait(client, get("http://127.0.0.1:1/"));
    CHECK(res.error == "plain http is only allowed to loopback");
  }
  SECTION("malformed or foreign urls are refused") {
    http_client client{rt.io};
    auto res = send_wait(client, get("ftp://example.com/secret"));
    CHECK(res.status == 0);
    CHECK(res.error == "unsupported or malformed url");
  }
}

TEST_CASE("http_client: response over max_body is refused", "[http][client]") {
  io_runner rt;
  test_server server{[](const req_t&, res_t& res, int) {
    res.body() = std::string(1000, 'x');
    return action::reply;
  }};
  http_client_options opts;
  opts.max_body = 100;
  http_client client{rt.io, opts};
  auto res = send_wait(client, get(server.url("/big")));
  CHECK(res.status == 0);
  CHECK(res.error == "response too large");
}

TEST_CASE("http_client: a throwing callback does not hurt the io thread", "[http][client]") {
  io_runner rt;
  test_server server{reply_ok};
  http_client client{rt.io};
  auto called = std::make_shared<std::promise<void>>();
  client.send(get(server.url("/1")), [called](http_response) {
    called->set_value();
    throw std::runtime_error("caller bug");
  });
  REQUIRE(called->get_future().wait_for(10s) == std::future_status::ready);
  CHECK(send_wait(client, get(server.url("/2"))).status == 200);
}

TEST_CASE("http_client: send from many threads at once", "[http][client]") {
  io_runner rt;
  test_server server{reply_ok};
  std::atomic<int> ok{0};
  {
    http_client_options opts;
    opts.max_idle_per_host = 2;
    http_client client{rt.io, opts};
    std::vector<std::thread> senders;
    for (int t = 0; t < 4; ++t) {
      senders.emplace_back([&] {
        for (int i = 0; i < 5; ++i) {
          auto res = send_raw(client, get(server.url("/n")));
          if (res && res->status == 200) {
            ++ok;
          }
        }
      });
    }
    for (auto& s : senders) {
      s.join();
    }
  }
  CHECK(ok == 20);
  CHECK(server.connections() <= 20);
}

TEST_CASE("http_client: client destroyed with a request in flight", "[http][client]") {
  io_runner rt;
  test_server server{[](const req_t&, res_t&, int) { return action::hold; }};
  auto p = std::make_shared<std::promise<http_response>>();
  auto f = p->get_future();
  {
    http_client client{rt.io};
    client.send(get(server.url("/slow")), [p](http_response r) { p->set_value(std::move(r)); },
                300ms);
  }
  // The exchange keeps the client's internals alive and still answers once.
  REQUIRE(f.wait_for(10s) == std::future_status::ready);
  CHECK(f.get().error == "timeout");
}

// -- HTTPS ------------------------------------------------------------------------

TEST_CASE("http_client: https verifies the peer", "[http][client][tls]") {
  io_runner rt;
  auto cert = make_self_signed("DNS:localhost,IP:127.0.0.1");
  auto tls = server_tls(cert);

  SECTION("an untrusted self-signed certificate fails the handshake") {
    test_server server{reply_ok, tls.get()};
    http_client client{rt.io};
    auto res = send_wait(client, get(server.url("/x?access_token=SECRET", "localhost")));
    CHECK(res.status == 0);
    CHECK(res.error.find("tls handshake https://localhost:") == 0);
    CHECK(res.error.find("SECRET") == std::string::npos);
    CHECK(server.requests().empty());
  }

  SECTION("a trusted certificate works, with SNI and connection reuse") {
    trusted_ca ca{cert.cert_pem};
    test_server server{reply_ok, tls.get()};
    http_client client{rt.io};
    auto res = send_wait(client, get(server.url("/a", "localhost")));
    CHECK(res.error == "");
    CHECK(res.status == 200);
    CHECK(res.body == "ok");
    CHECK(server.last_sni() == "localhost");
    CHECK(send_wait(client, get(server.url("/b", "localhost"))).status == 200);
    CHECK(server.connections() == 1);
  }

  SECTION("an IP literal is checked against the IP SAN") {
    trusted_ca ca{cert.cert_pem};
    test_server server{reply_ok, tls.get()};
    http_client client{rt.io};
    auto res = send_wait(client, get(server.url("/a", "127.0.0.1")));
    CHECK(res.error == "");
    CHECK(res.status == 200);
  }
}

TEST_CASE("http_client: https rejects a trusted certificate for another name",
          "[http][client][tls]") {
  io_runner rt;
  auto cert = make_self_signed("DNS:other.example");
  auto tls = server_tls(cert);
  trusted_ca ca{cert.cert_pem};
  test_server server{reply_ok, tls.get()};
  http_client client{rt.io};
  auto res = send_wait(client, get(server.url("/a", "localhost")));
  CHECK(res.status == 0);
  CHECK(res.error.find("tls handshake") == 0);
  CHECK(server.requests().empty());
}

// -- bodies streamed to a sink ----------------------------------------------------

namespace {

/// Collects what the client streams; `fail_after` refuses the piece that
/// would take the total past it. Read only after the answer's callback.
struct recording_sink : body_sink {
  std::string got;
  std::vector<std::size_t> pieces;
  int finished = 0;
  bool complete = false;
  std::size_t fail_after = std::string::npos;

  std::string write(std::string_view piece) override {
    if (got.size() + piece.size() > fail_after) {
      return "disk full";
    }
    got.append(piece);
    pieces.push_back(piece.size());
    return {};
  }
  void finish(bool c) override {
    ++finished;
    complete = c;
  }
};

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>((i * 7919) >> 3);
  }
  return s;
}

} // namespace

TEST_CASE("http_client: a 200's body goes to the sink in pieces, never into the answer",
          "[http][client][stream]") {
  io_runner rt;
  auto big = pattern(3 * 1024 * 1024 + 17);
  test_server server{[&](const req_t&, res_t& res, int) {
    res.body() = big;
    return action::reply;
  }};
  http_client client{rt.io};
  auto sink = std::make_shared<recording_sink>();
  auto req = get(server.url("/video.mp4"));
  req.max_body = 8 * 1024 * 1024;
  req.sink = sink;
  auto res = send_wait(client, req);
  CHECK(res.status == 200);
  CHECK(res.body.empty());
  CHECK(sink->finished == 1);
  CHECK(sink->complete);
  CHECK(sink->got == big);
  CHECK(sink->pieces.size() > 1);
  CHECK(*std::max_element(sink->pieces.begin(), sink->pieces.end()) <= 64 * 1024);
  // The connection is kept for the next download.
  auto again = std::make_shared<recording_sink>();
  req.sink = again;
  CHECK(send_wait(client, req).status == 200);
  CHECK(again->got == big);
  CHECK(server.connections() == 1);
}

TEST_CASE("http_client: an error page is read as an answer; the sink gets nothing",
          "[http][client][stream]") {
  io_runner rt;
  test_server server{[](const req_t&, res_t& res, int) {
    res.result(http::status::forbidden);
    res.body() = "URL signature expired";
    return action::reply;
  }};
  http_client client{rt.io};
  auto sink = std::make_shared<recording_sink>();
  auto req = get(server.url("/x.jpg"));
  req.sink = sink;
  auto res = send_wait(client, req);
  CHECK(res.status == 403);
  CHECK(res.body == "URL signature expired");
  CHECK(sink->got.empty());
  CHECK(sink->finished == 1);
  CHECK(!sink->complete);
  CHECK(send_wait(client, req).status == 403);
  CHECK(server.connections() == 1); // and the connection stays usable
}

TEST_CASE("http_client: a sink that refuses a piece fails the download with its reason",
          "[http][client][stream]") {
  io_runner rt;
  auto big = pattern(1024 * 1024);
  test_server server{[&](const req_t&, res_t& res, int) {
    res.body() = big;
    return action::reply;
  }};
  http_client client{rt.io};
  auto sink = std::make_shared<recording_sink>();
  sink->fail_after = 200 * 1024;
  auto req = get(server.url("/x.jpg"));
  req.sink = sink;
  auto res = send_wait(client, req);
  CHECK(res.status == 0);
  CHECK(res.error == "disk full");
  CHECK(sink->finished == 1);
  CHECK(!sink->complete);
  // The half-read connection was not kept: the next download opens another.
  auto next = std::make_shared<recording_sink>();
  req.sink = next;
  CHECK(send_wait(client, req).status == 200);
  CHECK(next->got == big);
  CHECK(server.connections() == 2);
}

TEST_CASE("http_client: a streamed body over max_body is refused at its head",
          "[http][client][stream]") {
  io_runner rt;
  test_server server{[](const req_t&, res_t& res, int) {
    res.body() = std::string(100000, 'x');
    return action::reply;
  }};
  http_client client{rt.io};
  auto sink = std::make_shared<recording_sink>();
  auto req = get(server.url("/x.jpg"));
  req.max_body = 50000;
  req.sink = sink;
  auto res = send_wait(client, req);
  CHECK(res.status == 0);
  CHECK(res.error == "response too large");
  CHECK(sink->got.empty());
  CHECK(!sink->complete);
}
