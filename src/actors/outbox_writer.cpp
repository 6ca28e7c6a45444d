#include "outbox_writer.hpp"

#include <nlohmann/json.hpp>

#include "igbridge/clock.hpp"

namespace igbridge {

namespace {
constexpr std::string_view seq_counter_key = "outbox_seq";
} // namespace

uint64_t next_outbox_seq(write_txn& txn) {
  uint64_t seq = 0;
  if (auto v = txn.get(db::meta, seq_counter_key); v && v->size() == 8) {
    seq = seq_from_key(*v);
  }
  ++seq;
  txn.put(db::meta, seq_counter_key, seq_key(seq));
  return seq;
}

void append_outbox(write_txn& txn, outbox_entry& e) {
  e.seq = next_outbox_seq(txn);
  txn.put(db::outbox, seq_key(e.seq), encode(e));
}

outbox_entry revoked_event(const std::string& user, const std::string& ig_user_id,
                           const std::string& reason, int64_t now) {
  outbox_entry e;
  e.type = "link.revoked";
  e.id = "link.revoked:" + user + ":" + std::to_string(now);
  e.user = user;
  e.created_at = now;
  e.next_attempt_at = now;
  nlohmann::json data{{"id", e.id},
                      {"user", user},
                      {"instagram_user_id", ig_user_id},
                      {"reason", reason},
                      {"revoked_at", rfc3339(now)}};
  e.data = data.dump();
  return e;
}

} // namespace igbridge
