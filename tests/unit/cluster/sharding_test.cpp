#include "igbridge/cluster/sharding.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

using namespace igbridge::cluster;

namespace {

std::map<std::string, uint32_t> loads(const std::vector<std::string>& owner) {
  std::map<std::string, uint32_t> n;
  for (const auto& o : owner) {
    ++n[o];
  }
  return n;
}

/// Every node holds floor or ceil of shards/nodes, and every shard has one.
void check_fair(const std::vector<std::string>& nodes, uint32_t shards) {
  auto owner = assign_shards(nodes, shards);
  REQUIRE(owner.size() == shards);
  auto n = loads(owner);
  uint32_t floor = shards / nodes.size();
  uint32_t ceil = floor + (shards % nodes.size() != 0 ? 1 : 0);
  for (const auto& node : nodes) {
    INFO(node << " holds " << n[node] << " of " << shards);
    CHECK(n[node] >= floor);
    CHECK(n[node] <= ceil);
  }
  CHECK(n.size() <= nodes.size());
}

uint32_t moved(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  uint32_t m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    m += a[i] != b[i] ? 1 : 0;
  }
  return m;
}

} // namespace

TEST_CASE("the hash is FNV-1a 64 and SplitMix64's finaliser, pinned", "[cluster]") {
  CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ULL);
  CHECK(mix64(0) == 0);
  // Changing any of these moves users between shards: a cluster's data would
  // be looked for in the wrong place. Pinned on purpose.
  CHECK(shard_of("user-1", 256) == mix64(fnv1a64("user-1")) % 256);
  CHECK(shard_of("user-1", 256) == 88); // computed apart, in Python
  CHECK(shard_of("42", 16) == 2);
  CHECK(shard_of("", 16) == mix64(0xcbf29ce484222325ULL) % 16);
}

TEST_CASE("users spread evenly over shards", "[cluster]") {
  std::vector<uint32_t> count(16, 0);
  for (int i = 0; i < 16000; ++i) {
    ++count[shard_of("user-" + std::to_string(i), 16)];
  }
  for (auto c : count) {
    CHECK(c > 800);
    CHECK(c < 1200);
  }
}

TEST_CASE("assignment is within one of fair for 3 -> 4 -> 3 nodes", "[cluster]") {
  std::vector<std::string> three{"node-a", "node-b", "node-c"};
  std::vector<std::string> four{"node-a", "node-b", "node-c", "node-d"};
  for (uint32_t shards : {1u, 2u, 3u, 5u, 16u, 17u, 256u, 1000u}) {
    INFO(shards << " shards");
    check_fair(three, shards);
    check_fair(four, shards);
  }
  auto before = assign_shards(three, 256);
  auto joined = assign_shards(four, 256);
  auto left = assign_shards(three, 256);
  CHECK(before == left); // the same live set gives the same answer
  // A joining node takes about its share (64 of 256), not a reshuffle.
  CHECK(loads(joined)["node-d"] == 64);
  CHECK(moved(before, joined) < 64 + 32);
}

TEST_CASE("assignment ignores order and duplicates, and covers edge cases", "[cluster]") {
  CHECK(assign_shards({"b", "a", "c"}, 64) == assign_shards({"a", "c", "b", "a"}, 64));
  CHECK(assign_shards({}, 16).empty());
  auto one = assign_shards({"solo"}, 16);
  CHECK(std::all_of(one.begin(), one.end(), [](const std::string& o) { return o == "solo"; }));
  // More nodes than shards: each shard once, no node twice.
  auto sparse = assign_shards({"a", "b", "c", "d", "e"}, 3);
  auto n = loads(sparse);
  CHECK(n.size() == 3);
  for (const auto& [node, c] : n) {
    CHECK(c == 1);
  }
  auto mine = shards_for({"a", "b"}, "a", 10);
  CHECK(mine.size() == 5);
  CHECK(std::is_sorted(mine.begin(), mine.end()));
}
