// The hint record: written as fixed binary fields, read in that form and in
// the JSON form earlier versions wrote, so their databases keep working.

#include <catch2/catch.hpp>

#include <limits>

#include "igbridge/records.hpp"
#include "igbridge/tables.hpp"
#include "temp_dir.hpp"

using namespace igbridge;
using igbridge::test::temp_dir;

namespace {

/// A hint value as the JSON encoder of earlier versions wrote it.
constexpr const char* json_hint =
    R"({"first_due":1795178216,"last_due":1795178300,"received_at":1795178096})";

} // namespace

TEST_CASE("a hint is 33 bytes of fixed fields and reads back", "[records]") {
  constexpr auto lo = std::numeric_limits<int64_t>::min();
  constexpr auto hi = std::numeric_limits<int64_t>::max();
  for (const hint& h : {hint{1795178216, 1795178300, 1795178096, 1795178300}, hint{0, 0, 0, 0},
                        hint{-1, 1, -2, 3}, hint{lo, hi, lo, hi}, hint{hi, hi, hi, lo}}) {
    auto bytes = encode(h);
    CHECK(bytes.size() == 33);
    CHECK(bytes[0] == '\x02'); // a byte no JSON text starts with
    auto back = decode_hint(bytes);
    REQUIRE(back);
    CHECK(back->first_due == h.first_due);
    CHECK(back->last_due == h.last_due);
    CHECK(back->received_at == h.received_at);
    CHECK(back->queued_at == h.queued_at);
  }
  // Schema 3's 25-byte form (no queue time) still reads.
  std::string v3 = encode(hint{7, 8, 9, 10}).substr(0, 25);
  v3[0] = '\x01';
  auto old = decode_hint(v3);
  REQUIRE(old);
  CHECK(old->last_due == 8);
  CHECK(old->queued_at == 0);
  // Big-endian: the first field's top byte comes first.
  CHECK(encode(hint{0x0102030405060708, 0, 0}).substr(1, 8) ==
        std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
}

TEST_CASE("a hint written as JSON by an earlier version still reads", "[records]") {
  auto h = decode_hint(json_hint);
  REQUIRE(h);
  CHECK(h->first_due == 1795178216);
  CHECK(h->last_due == 1795178300);
  CHECK(h->received_at == 1795178096);
  // Whitespace and key order were never fixed.
  auto spaced = decode_hint(R"( { "received_at": 3, "last_due": 2, "first_due": 1 } )");
  REQUIRE(spaced);
  CHECK(spaced->first_due == 1);
  CHECK(spaced->last_due == 2);
  CHECK(spaced->received_at == 3);
  CHECK_FALSE(decode_hint(R"({"first_due":"soon"})"));
  CHECK_FALSE(decode_hint(R"({"last_due":1})"));
}

TEST_CASE("a damaged binary hint is refused", "[records]") {
  auto bytes = encode(hint{1, 2, 3});
  CHECK_FALSE(decode_hint(bytes.substr(0, 32)));
  CHECK_FALSE(decode_hint(bytes + '\0'));
  CHECK_FALSE(decode_hint(std::string(1, '\x01')));
  CHECK_FALSE(decode_hint(std::string(25, '\x02')));
  CHECK_FALSE(decode_hint(std::string(25, '\0')));
}

TEST_CASE("a store written by an earlier version keeps its hints", "[records]") {
  temp_dir tmp;
  store s{tmp.path(), std::size_t{16} << 20};
  {
    auto w = s.write();
    w.put(db::hints, "alice", json_hint);
    w.commit();
  }
  {
    auto w = s.write();
    auto old = tables::hints.get(w, "alice");
    REQUIRE(old);
    CHECK(old->first_due == 1795178216);
    // Folding a new hint in writes it back in the binary form.
    auto h = add_hint(old, 1795178400, 120);
    tables::hints.put(w, "alice", h);
    w.commit();
  }
  auto raw = s.read().get(db::hints, "alice");
  REQUIRE(raw);
  CHECK(raw->size() == 33);
  auto h = tables::hints.get(s.read(), "alice");
  REQUIRE(h);
  CHECK(h->first_due == 1795178216);
  CHECK(h->last_due == 1795178520);
  CHECK(h->received_at == 1795178400);
}
