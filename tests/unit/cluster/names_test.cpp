#include "igbridge/cluster/names.hpp"

#include <catch2/catch.hpp>

using namespace igbridge::cluster;

TEST_CASE("subjects fall under their stream's filter", "[cluster]") {
  CHECK(names::hint_subject(7) == "igb.hints.7");
  CHECK(names::log_subject(0) == "igb.log.0");
  CHECK(names::snap_chunk_subject(3) == "igb.snap.3.chunk");
  CHECK(names::snap_head_subject(3) == "igb.snap.3.head");
  CHECK(names::snap_shard_subjects(3) == "igb.snap.3.>");
  CHECK(names::media_subject("ab12") == "igb.media.ab12");
  CHECK(names::hint_consumer(12) == "hints-12");
  CHECK(names::lease_key(12) == "shard-12");
}

TEST_CASE("any string becomes a distinct valid KV key", "[cluster]") {
  CHECK(names::kv_key("17841400000000001") == "17841400000000001");
  CHECK(names::kv_key("nonce_AZ-09") == "nonce_AZ-09");
  CHECK(names::kv_key("a.b") == "=612e62");
  CHECK(names::kv_key("=61") == "=3d3631"); // never collides with an escaped key
  CHECK(names::kv_key("") == "=");
  CHECK(names::kv_key("ü") == "=c3bc");
}
