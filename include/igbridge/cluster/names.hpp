#pragma once
/// @brief Every JetStream name igbridge uses (docs/cluster.md lists them for
/// operators): streams, subjects, consumers and KV buckets. Nothing else in
/// the cluster area spells a name.

#include <cstdint>
#include <string>
#include <string_view>

namespace igbridge::cluster::names {

// -- streams ------------------------------------------------------------------

inline constexpr const char* hints_stream = "IGB_HINTS"; // igb.hints.<shard>, work queue
inline constexpr const char* log_stream = "IGB_LOG";     // igb.log.<shard>, one message per batch
inline constexpr const char* snap_stream = "IGB_SNAP";   // igb.snap.<shard>.{chunk,head}
inline constexpr const char* media_stream = "IGB_MEDIA"; // igb.media.<sha256>, chunked

inline constexpr const char* hints_subjects = "igb.hints.*";
inline constexpr const char* log_subjects = "igb.log.*";
inline constexpr const char* snap_subjects = "igb.snap.>";
inline constexpr const char* media_subjects = "igb.media.*";

std::string hint_subject(uint32_t shard);        // igb.hints.<shard>
std::string log_subject(uint32_t shard);         // igb.log.<shard>
std::string snap_chunk_subject(uint32_t shard);  // igb.snap.<shard>.chunk
std::string snap_head_subject(uint32_t shard);   // igb.snap.<shard>.head
std::string snap_shard_subjects(uint32_t shard); // igb.snap.<shard>.>
std::string media_subject(std::string_view sha256_hex); // igb.media.<sha256>
/// Requests for a shard's owner (core NATS request/reply, no stream).
std::string rpc_subject(uint32_t shard); // igb.rpc.<shard>

/// The durable pull consumer of a shard's hints ('.' is not allowed in it).
std::string hint_consumer(uint32_t shard); // hints-<shard>

// -- KV buckets (streams KV_<bucket>) -----------------------------------------

inline constexpr const char* meta_bucket = "igb_meta";           // "shards": the fixed count
inline constexpr const char* nodes_bucket = "igb_nodes";         // <node id>: heartbeat, TTL lease_ttl_s
inline constexpr const char* leases_bucket = "igb_leases";       // shard-<n>: owner, TTL lease_ttl_s
inline constexpr const char* ig_index_bucket = "igb_ig_index";   // <instagram id>: app users
inline constexpr const char* oauth_bucket = "igb_oauth";         // <nonce>: a link attempt, TTL
inline constexpr const char* deletions_bucket = "igb_deletions"; // <code>: a data deletion

inline constexpr const char* shards_key = "shards";

std::string lease_key(uint32_t shard); // shard-<n>

/// A KV key for any string: kept as is when it is 1+ of [A-Za-z0-9_-] and
/// does not start with '=', else "=" + lowercase hex of its bytes, so
/// distinct strings stay distinct keys (NATS keys allow few characters).
std::string kv_key(std::string_view raw);

} // namespace igbridge::cluster::names
