#include <catch2/catch.hpp>

#include "igbridge/clock.hpp"

using namespace igbridge;

TEST_CASE("rfc3339 formats UTC", "[clock]") {
  CHECK(rfc3339(0).empty());
  CHECK(rfc3339(1).empty() == false);
  CHECK(rfc3339(1795696496) == "2026-11-26T12:34:56Z");
  CHECK(rfc3339(951782400) == "2000-02-29T00:00:00Z");
}

TEST_CASE("parse_iso8601 accepts the spellings providers use", "[clock]") {
  const int64_t t = 1795178096; // 2026-11-20T12:34:56Z
  CHECK(rfc3339(t) == "2026-11-20T12:34:56Z");
  CHECK(parse_iso8601("2026-11-20T12:34:56Z") == t);
  CHECK(parse_iso8601("2026-11-20T12:34:56+0000") == t);
  CHECK(parse_iso8601("2026-11-20T12:34:56+00:00") == t);
  CHECK(parse_iso8601("2026-11-20T12:34:56.789Z") == t);
  CHECK(parse_iso8601("2026-11-20T12:34:56.5+00:00") == t);
  CHECK(parse_iso8601("2026-11-20T14:34:56+02:00") == t);
  CHECK(parse_iso8601("2026-11-20T07:04:56-0530") == t);
  CHECK(parse_iso8601("2026-11-20t12:34:56z") == t);
}

TEST_CASE("parse_iso8601 round trips rfc3339", "[clock]") {
  for (int64_t t : {int64_t{1}, int64_t{86399}, int64_t{951782400}, int64_t{4102444800}}) {
    CHECK(parse_iso8601(rfc3339(t)) == t);
  }
  auto now = unix_now();
  CHECK(now > 1700000000);
  CHECK(parse_iso8601(rfc3339(now)) == now);
}

TEST_CASE("parse_iso8601 rejects malformed text", "[clock]") {
  CHECK_FALSE(parse_iso8601(""));
  CHECK_FALSE(parse_iso8601("2026-11-20"));
  CHECK_FALSE(parse_iso8601("2026-11-20T12:34:56"));      // no zone
  CHECK_FALSE(parse_iso8601("2026-11-20T12:34Z"));
  CHECK_FALSE(parse_iso8601("2026-13-20T12:34:56Z"));
  CHECK_FALSE(parse_iso8601("2026-02-30T12:34:56Z"));
  CHECK_FALSE(parse_iso8601("2026-11-20T24:00:00Z"));
  CHECK_FALSE(parse_iso8601("2026-11-20T12:34:56.Z"));
  CHECK_FALSE(parse_iso8601("2026-11-20T12:34:56+00:"));
  CHECK_FALSE(parse_iso8601("2026-11-20T12:34:56Zjunk"));
  CHECK_FALSE(parse_iso8601("1795178096"));
}
