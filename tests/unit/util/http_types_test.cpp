#include <catch2/catch.hpp>

#include "igbridge/http_types.hpp"

using namespace igbridge;

TEST_CASE("header_value is case-insensitive", "[http_types]") {
  header_list h{{"Content-Type", "text/plain"}, {"X-Hub-Signature-256", "sha256=ab"},
                {"content-type", "second"}};
  CHECK(header_value(h, "content-type") == "text/plain");
  CHECK(header_value(h, "x-hub-signature-256") == "sha256=ab");
  CHECK(header_value(h, "Retry-After").empty());
  CHECK(header_value({}, "a").empty());
}
