#include "outbox_writer.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "igbridge/clock.hpp"

namespace igbridge {

namespace {
constexpr std::string_view seq_counter_key = "outbox_seq";
constexpr std::string_view recent_imports_key = "recent_imports";
constexpr std::size_t recent_imports_kept = 12;
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

/// The dashboard's "latest imports": the newest records first, bounded,
/// updated in the transaction that queues them.
void note_recent_import(write_txn& txn, const outbox_entry& e) {
  auto record = nlohmann::json::parse(e.data, nullptr, false);
  if (!record.is_object()) {
    return;
  }
  auto list = nlohmann::json::array();
  if (auto v = txn.get(db::meta, recent_imports_key)) {
    auto old = nlohmann::json::parse(*v, nullptr, false);
    if (old.is_array()) {
      list = std::move(old);
    }
  }
  // A page comes newest first, so order by when the post was taken rather
  // than by arrival (RFC 3339 UTC strings sort as times).
  auto taken = [](const nlohmann::json& r) {
    return r.contains("taken_at") && r["taken_at"].is_string() ? r["taken_at"].get<std::string>()
                                                               : std::string{};
  };
  auto at = std::find_if(list.begin(), list.end(),
                         [&](const nlohmann::json& r) { return taken(r) <= taken(record); });
  list.insert(at, std::move(record));
  if (list.size() > recent_imports_kept) {
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(recent_imports_kept), list.end());
  }
  txn.put(db::meta, recent_imports_key, list.dump());
}

void append_outbox(write_txn& txn, outbox_entry& e) {
  e.seq = next_outbox_seq(txn);
  txn.put(db::outbox, seq_key(e.seq), encode(e));
  if (e.type == "media.imported") {
    note_recent_import(txn, e);
  }
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
