#include <catch2/catch.hpp>

#include <string>

#include "http/response_head.hpp"

using namespace igbridge;

namespace {

std::string head_of(const http_response& r, bool close_after = false) {
  std::string out;
  append_response_head(r, close_after, out);
  return out;
}

} // namespace

TEST_CASE("an answer's head names its status, type, server and length") {
  http_response r;
  r.status = 200;
  r.body = R"({"hinted":1,"unknown":0})";
  CHECK(head_of(r) == "HTTP/1.1 200 OK\r\n"
                      "Content-Type: application/json\r\n"
                      "Server: igbridge\r\n"
                      "Content-Length: 24\r\n"
                      "\r\n");
}

TEST_CASE("an answer's own fields come first and its own type wins") {
  http_response r;
  r.status = 302;
  r.headers = {{"Location", "https://app.example/done"}, {"Content-Type", "text/html"}};
  r.body = "<p>moved</p>";
  auto head = head_of(r, true);
  CHECK(head.rfind("HTTP/1.1 302 Found\r\nLocation: https://app.example/done\r\n", 0) == 0);
  CHECK(head.find("application/json") == std::string::npos);
  CHECK(head.find("Content-Length: 12\r\n") != std::string::npos);
  CHECK(head.find("Connection: close\r\n") != std::string::npos);
}

TEST_CASE("an empty body has a zero length and no type") {
  http_response r;
  r.status = 404;
  auto head = head_of(r);
  CHECK(head.find("Content-Length: 0\r\n") != std::string::npos);
  CHECK(head.find("Content-Type") == std::string::npos);
  CHECK(head.find("Connection") == std::string::npos);
}

TEST_CASE("204 and 304 go without Content-Length") {
  for (int status : {204, 304}) {
    http_response r;
    r.status = status;
    CHECK(bodiless_status(status));
    CHECK(head_of(r).find("Content-Length") == std::string::npos);
  }
  CHECK_FALSE(bodiless_status(200));
}

TEST_CASE("a field that would split the head is dropped") {
  http_response r;
  r.status = 200;
  r.headers = {{"X-Ok", "yes"}, {"X-Bad", "a\r\nSet-Cookie: stolen=1"}, {"X\nBad", "v"}};
  auto head = head_of(r);
  CHECK(head.find("X-Ok: yes\r\n") != std::string::npos);
  CHECK(head.find("Set-Cookie") == std::string::npos);
  CHECK(head.find("X-Bad") == std::string::npos);
  CHECK(head.find("Bad: v") == std::string::npos);
}
