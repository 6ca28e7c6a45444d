#include "igbridge/cluster/chunks.hpp"

#include <catch2/catch.hpp>

using namespace igbridge::cluster;

TEST_CASE("payloads are cut at the budget and an empty one is one chunk", "[cluster]") {
  CHECK(chunk_budget(1048576) == 1048576 - header_room);
  CHECK(chunk_budget(100) == 1024);
  std::string data(2500, 'x');
  auto parts = split_chunks(data, 1000);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].size() == 1000);
  CHECK(parts[2].size() == 500);
  CHECK(split_chunks("", 1000).size() == 1);
  CHECK(split_chunks(std::string(1000, 'y'), 1000).size() == 1);
}

TEST_CASE("chunk tags round-trip and reject nonsense", "[cluster]") {
  CHECK(format_chunk_tag({2, 5}) == "2/5");
  auto t = parse_chunk_tag("2/5");
  REQUIRE(t);
  CHECK(t->index == 2);
  CHECK(t->count == 5);
  for (const char* bad : {"", "/", "1/", "/2", "2/2", "3/2", "a/2", "1/2x", "-1/2", "1 /2"}) {
    INFO(bad);
    CHECK_FALSE(parse_chunk_tag(bad));
  }
}

TEST_CASE("the assembler keeps whole groups and drops broken ones", "[cluster]") {
  chunk_assembler a;
  CHECK_FALSE(a.feed("g1", {0, 3}, "ab"));
  CHECK_FALSE(a.feed("g1", {1, 3}, "cd"));
  auto whole = a.feed("g1", {2, 3}, "e");
  REQUIRE(whole);
  CHECK(*whole == "abcde");
  // A single-chunk group.
  CHECK(a.feed("g2", {0, 1}, "solo") == std::optional<std::string>("solo"));
  // A writer stopped after one of two chunks; the next group starts over.
  CHECK_FALSE(a.feed("g3", {0, 2}, "lost"));
  CHECK(a.feed("g4", {0, 1}, "next") == std::optional<std::string>("next"));
  CHECK(a.dropped() == 1);
  // A gap inside a group, and a tail without its head.
  CHECK_FALSE(a.feed("g5", {0, 3}, "a"));
  CHECK_FALSE(a.feed("g5", {2, 3}, "c"));
  CHECK_FALSE(a.feed("g6", {1, 2}, "tail"));
  CHECK(a.dropped() == 4); // g5 twice: its head, then the orphaned chunk after the gap
}
