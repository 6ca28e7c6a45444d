// The JetStream names of include/igbridge/cluster/names.hpp: subjects are
// built in one place so that a stream's subject filter and its publishers
// cannot drift apart.

#include "igbridge/cluster/names.hpp"

namespace igbridge::cluster::names {

std::string rpc_subject(uint32_t shard) {
  return "igb.rpc." + std::to_string(shard);
}

std::string hint_subject(uint32_t shard) {
  return "igb.hints." + std::to_string(shard);
}

std::string log_subject(uint32_t shard) {
  return "igb.log." + std::to_string(shard);
}

std::string snap_chunk_subject(uint32_t shard) {
  return "igb.snap." + std::to_string(shard) + ".chunk";
}

std::string snap_head_subject(uint32_t shard) {
  return "igb.snap." + std::to_string(shard) + ".head";
}

std::string snap_shard_subjects(uint32_t shard) {
  return "igb.snap." + std::to_string(shard) + ".>";
}

std::string media_subject(std::string_view sha256_hex) {
  return "igb.media." + std::string(sha256_hex);
}

std::string hint_consumer(uint32_t shard) {
  return "hints-" + std::to_string(shard);
}

std::string lease_key(uint32_t shard) {
  return "shard-" + std::to_string(shard);
}

std::string kv_key(std::string_view raw) {
  auto plain = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
           || c == '-';
  };
  bool keep = !raw.empty();
  for (char c : raw) {
    keep = keep && plain(c);
  }
  if (keep) {
    return std::string(raw);
  }
  static const char digits[] = "0123456789abcdef";
  std::string out = "=";
  for (char c : raw) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(digits[u >> 4]);
    out.push_back(digits[u & 15]);
  }
  return out;
}

} // namespace igbridge::cluster::names
