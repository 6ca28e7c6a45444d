#include "outbox_writer.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "igbridge/clock.hpp"
#include "igbridge/tables.hpp"

namespace igbridge {

namespace {
constexpr std::string_view seq_counter_key = "outbox_seq";
constexpr std::string_view latest_key = "latest";
constexpr std::size_t latest_kept = 12;

nlohmann::json latest_list(const read_txn& txn) {
  if (auto v = tables::dashboard.get(txn, std::string(latest_key))) {
    auto old = nlohmann::json::parse(*v, nullptr, false);
    if (old.is_array()) {
      return old;
    }
  }
  return nlohmann::json::array();
}

std::string_view taken(const nlohmann::json& r) {
  auto it = r.find("taken_at");
  return it != r.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>())
                                          : std::string_view{};
}

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

void append_outbox(write_txn& txn, write_notes& notes, outbox_entry& e) {
  e.seq = next_outbox_seq(txn);
  tables::outbox.put(txn, e.seq, e);
  txn.put(db::outbox_due, due_key(e.next_attempt_at, e.seq), {});
  notes.outbox_grew = true;
}

void note_latest_imports(write_txn& txn, std::vector<nlohmann::json>& records) {
  if (records.empty()) {
    return;
  }
  // A page comes newest first, so order by when the post was taken rather
  // than by arrival (RFC 3339 UTC strings sort as times). Only the newest
  // few of a page can make the list.
  auto newer = [](const nlohmann::json& a, const nlohmann::json& b) { return taken(a) > taken(b); };
  if (records.size() > latest_kept) {
    std::partial_sort(records.begin(), records.begin() + latest_kept, records.end(), newer);
    records.resize(latest_kept);
  }
  auto list = latest_list(txn);
  for (auto& record : records) {
    if (!record.is_object()) {
      continue;
    }
    auto at = std::find_if(list.begin(), list.end(),
                           [&](const nlohmann::json& r) { return taken(r) <= taken(record); });
    list.insert(at, std::move(record));
  }
  if (list.size() > latest_kept) {
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(latest_kept), list.end());
  }
  tables::dashboard.put(txn, std::string(latest_key), list.dump());
}

void note_stored_media(write_txn& txn,
                       const std::vector<std::pair<std::string, std::string>>& media) {
  auto list = latest_list(txn);
  bool changed = false;
  for (auto& r : list) {
    if (!r.is_object()) {
      continue;
    }
    auto id = r.value("id", std::string{});
    for (const auto& [of, files] : media) {
      if (of == id) {
        r["media"] = nlohmann::json::parse(files, nullptr, false);
        changed = true;
      }
    }
  }
  if (changed) {
    tables::dashboard.put(txn, std::string(latest_key), list.dump());
  }
}

void forget_latest_imports(write_txn& txn, const std::string& user) {
  auto list = latest_list(txn);
  auto kept = nlohmann::json::array();
  for (auto& r : list) {
    if (!r.is_object() || r.value("user", std::string{}) != user) {
      kept.push_back(std::move(r));
    }
  }
  if (kept.size() != list.size()) {
    tables::dashboard.put(txn, std::string(latest_key), kept.dump());
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
