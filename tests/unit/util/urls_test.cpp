#include <catch2/catch.hpp>

#include "igbridge/urls.hpp"

using namespace igbridge;

TEST_CASE("url_encode keeps only unreserved characters", "[urls]") {
  CHECK(url_encode("aZ09-._~") == "aZ09-._~");
  CHECK(url_encode("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9");
  CHECK(url_encode("") == "");
}

TEST_CASE("url_decode", "[urls]") {
  CHECK(url_decode("a+b%20c%2fd") == "a b c/d");
  CHECK(url_decode("%C3%A9") == "é");
  CHECK(url_decode("100%") == "100%");   // stray percent kept
  CHECK(url_decode("%zz%4") == "%zz%4");
  CHECK(url_decode(url_encode("x y+z%")) == "x y+z%");
}

TEST_CASE("parse_query and build_query", "[urls]") {
  auto p = parse_query("a=1&b=two+words&a=3&flag&&c=%26");
  REQUIRE(p.size() == 5);
  CHECK(p[0] == std::pair<std::string, std::string>{"a", "1"});
  CHECK(p[1].second == "two words");
  CHECK(p[2] == std::pair<std::string, std::string>{"a", "3"});
  CHECK(p[3] == std::pair<std::string, std::string>{"flag", ""});
  CHECK(p[4].second == "&");
  CHECK(param(p, "a") == std::string("1"));
  CHECK_FALSE(param(p, "missing"));
  CHECK(parse_query("").empty());
  CHECK(parse_query("?x=1").size() == 1);

  params q{{"redirect_uri", "https://h/cb?x=1"}, {"code", "a b"}};
  CHECK(build_query(q) == "redirect_uri=https%3A%2F%2Fh%2Fcb%3Fx%3D1&code=a%20b");
  CHECK(parse_query(build_query(q)) == q);
}

TEST_CASE("parse_url", "[urls]") {
  SECTION("defaults") {
    auto u = parse_url("https://graph.instagram.com");
    REQUIRE(u);
    CHECK(u->scheme == "https");
    CHECK(u->host == "graph.instagram.com");
    CHECK(u->port == "443");
    CHECK(u->target == "/");
    auto h = parse_url("http://example.org/x");
    REQUIRE(h);
    CHECK(h->port == "80");
    CHECK(h->target == "/x");
  }
  SECTION("port, path and query") {
    auto u = parse_url("http://127.0.0.1:8080/me/media?fields=id&limit=3#frag");
    REQUIRE(u);
    CHECK(u->host == "127.0.0.1");
    CHECK(u->port == "8080");
    CHECK(u->target == "/me/media?fields=id&limit=3");
    auto q = parse_url("HTTPS://h?x=1");
    REQUIRE(q);
    CHECK(q->scheme == "https");
    CHECK(q->target == "/?x=1");
  }
  SECTION("IPv6 literal") {
    auto u = parse_url("http://[::1]:9000/a");
    REQUIRE(u);
    CHECK(u->host == "::1");
    CHECK(u->port == "9000");
    auto d = parse_url("https://[fe80::1]");
    REQUIRE(d);
    CHECK(d->host == "fe80::1");
    CHECK(d->port == "443");
  }
  SECTION("rejected") {
    CHECK_FALSE(parse_url("ftp://h/"));
    CHECK_FALSE(parse_url("h/path"));
    CHECK_FALSE(parse_url("http://"));
    CHECK_FALSE(parse_url("http://:80/"));
    CHECK_FALSE(parse_url("http://h:/"));
    CHECK_FALSE(parse_url("http://h:0/"));
    CHECK_FALSE(parse_url("http://h:70000/"));
    CHECK_FALSE(parse_url("http://h:8o/"));
    CHECK_FALSE(parse_url("http://[::1/"));
    CHECK_FALSE(parse_url("http://[::1]x/"));
    CHECK_FALSE(parse_url("http://user:pw@h/"));
  }
}

TEST_CASE("cookie_value", "[urls]") {
  const char* h = "a=1; ig_state=abc123;  other = \"q v\" ;empty=";
  CHECK(cookie_value(h, "ig_state") == std::string("abc123"));
  CHECK(cookie_value(h, "a") == std::string("1"));
  CHECK(cookie_value(h, "other") == std::string("q v"));
  CHECK(cookie_value(h, "empty") == std::string());
  CHECK_FALSE(cookie_value(h, "ig"));
  CHECK_FALSE(cookie_value("", "a"));
}
