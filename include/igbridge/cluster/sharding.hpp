#pragma once
/// @brief Users to shards, shards to nodes: pure functions every node
/// computes alike from the same inputs, so no node has to announce them.
///
/// Hash (stable: changing it would move every user): FNV-1a 64 over the
/// bytes, then the SplitMix64/MurmurHash3 finaliser (`mix64`) to spread the
/// low bits. `shard_of(u, n) = mix64(fnv1a64(u)) % n`.
/// Node scores for rendezvous (HRW) hashing: `mix64(fnv1a64(node + '\0' +
/// decimal(shard)))`, highest first.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace igbridge::cluster {

uint64_t fnv1a64(std::string_view bytes);
uint64_t mix64(uint64_t x);

/// The shard of an app user id, in [0, shards). `shards` > 0.
uint32_t shard_of(std::string_view app_user, uint32_t shards);

/// The rendezvous score of `node` for `shard`.
uint64_t rendezvous_score(std::string_view node, uint32_t shard);

/// Bounded-load rendezvous: every shard goes to its highest-scoring node that
/// still has room, where room means each node ends with floor(shards/n) or
/// ceil(shards/n) shards (within one of fair). Pairs are taken in descending
/// score order, so most shards sit on their first choice and a node joining
/// or leaving moves few others. Returns, per shard, the owner's id; empty
/// when `nodes` is empty. Order and duplicates in `nodes` do not matter.
std::vector<std::string> assign_shards(std::vector<std::string> nodes, uint32_t shards);

/// The shards `assign_shards` gives to `node`, ascending.
std::vector<uint32_t> shards_for(const std::vector<std::string>& nodes, const std::string& node,
                                 uint32_t shards);

} // namespace igbridge::cluster
