// shard_of and the bounded-load rendezvous assignment (sharding.hpp). Both
// run on every node with the same inputs and must agree bit for bit, so
// they use only integer arithmetic and a total order on ties.

#include "igbridge/cluster/sharding.hpp"

#include <algorithm>
#include <tuple>
#include <unordered_map>

namespace igbridge::cluster {

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint32_t shard_of(std::string_view app_user, uint32_t shards) {
  return static_cast<uint32_t>(mix64(fnv1a64(app_user)) % shards);
}

uint64_t rendezvous_score(std::string_view node, uint32_t shard) {
  std::string key(node);
  key.push_back('\0');
  key += std::to_string(shard);
  return mix64(fnv1a64(key));
}

std::vector<std::string> assign_shards(std::vector<std::string> nodes, uint32_t shards) {
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  std::vector<std::string> owner(nodes.empty() ? 0 : shards);
  if (nodes.empty()) {
    return owner;
  }
  struct pair {
    uint64_t score;
    uint32_t node;
    uint32_t shard;
  };
  std::vector<pair> pairs;
  pairs.reserve(static_cast<std::size_t>(shards) * nodes.size());
  for (uint32_t n = 0; n < nodes.size(); ++n) {
    for (uint32_t s = 0; s < shards; ++s) {
      pairs.push_back({rendezvous_score(nodes[n], s), n, s});
    }
  }
  // Highest score first; ties broken by node then shard, so the order is total.
  std::sort(pairs.begin(), pairs.end(), [](const pair& a, const pair& b) {
    return std::tie(b.score, a.node, a.shard) < std::tie(a.score, b.node, b.shard);
  });
  const uint32_t floor = shards / static_cast<uint32_t>(nodes.size());
  const uint32_t extra = shards % static_cast<uint32_t>(nodes.size()); // nodes that get floor + 1
  std::vector<uint32_t> load(nodes.size(), 0);
  std::vector<bool> placed(shards, false);
  uint32_t at_ceiling = 0;
  uint32_t left = shards;
  for (const auto& p : pairs) {
    if (left == 0) {
      break;
    }
    if (placed[p.shard]) {
      continue;
    }
    uint32_t& l = load[p.node];
    // Room: below floor, or at floor while ceiling places remain. The sums
    // work out so that no shard is ever left without a node with room.
    bool room = l < floor || (l == floor && at_ceiling < extra);
    if (!room) {
      continue;
    }
    if (l == floor) {
      ++at_ceiling;
    }
    ++l;
    placed[p.shard] = true;
    owner[p.shard] = nodes[p.node];
    --left;
  }
  return owner;
}

std::vector<uint32_t> shards_for(const std::vector<std::string>& nodes, const std::string& node,
                                 uint32_t shards) {
  std::vector<uint32_t> mine;
  auto owner = assign_shards(nodes, shards);
  for (uint32_t s = 0; s < owner.size(); ++s) {
    if (owner[s] == node) {
      mine.push_back(s);
    }
  }
  return mine;
}

} // namespace igbridge::cluster
