// The meta family: named facts of the store itself.

#include "igbridge/store/meta.hpp"

#include <vector>

#include "igbridge/tables.hpp"

namespace igbridge::meta {

namespace {
constexpr std::string_view schema_key = "schema_version";
constexpr std::string_view outbox_seq_key = "outbox_seq";
constexpr std::string_view sink_gone_key = "sink_gone";
} // namespace

std::optional<std::string> schema_version(const read_txn& txn) {
  return txn.get(db::meta, schema_key);
}

void set_schema_version(write_txn& txn, int version) {
  txn.put(db::meta, schema_key, std::to_string(version));
}

uint64_t next_outbox_seq(write_txn& txn, std::string_view user) {
  uint64_t seq = 0;
  if (auto v = txn.get(db::meta, outbox_seq_key); v && v->size() == 8) {
    seq = seq_from_key(*v);
  }
  ++seq;
  if (auto parts = txn.owner().seq_parts(); parts != 0) {
    // The next number in the user's residue class (store.hpp).
    auto want = txn.owner().seq_part_of(user) % parts;
    seq += (want + parts - seq % parts) % parts;
  }
  txn.put(db::meta, outbox_seq_key, seq_key(seq));
  return seq;
}

void raise_outbox_seq(write_txn& txn, uint64_t at_least) {
  uint64_t seq = 0;
  if (auto v = txn.get(db::meta, outbox_seq_key); v && v->size() == 8) {
    seq = seq_from_key(*v);
  }
  if (at_least > seq) {
    txn.put(db::meta, outbox_seq_key, seq_key(at_least));
  }
}

std::string sink_gone(const read_txn& txn) {
  return txn.get(db::meta, sink_gone_key).value_or("");
}

void set_sink_gone(write_txn& txn, const std::string& url) {
  txn.put(db::meta, sink_gone_key, url);
}

void move_loose_v1_keys(write_txn& txn,
                        const std::function<bool(const std::string&, const std::string&)>& move) {
  std::vector<std::pair<std::string, std::string>> all;
  txn.scan(db::meta, {}, [&](std::string_view k, std::string_view v) {
    all.emplace_back(std::string(k), std::string(v));
    return true;
  });
  for (auto& [k, v] : all) {
    if (move(k, v)) {
      txn.del(db::meta, k);
    }
  }
}

} // namespace igbridge::meta
