// The dashboard family: the "latest" list, bounded and ordered by when the
// posts were taken.

#include "igbridge/store/dashboard.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "igbridge/tables.hpp"

namespace igbridge::dashboard {

namespace {

constexpr std::string_view latest_key = "latest";
constexpr std::size_t latest_kept = 12;

std::string_view taken(const nlohmann::json& r) {
  auto it = r.find("taken_at");
  return it != r.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>())
                                          : std::string_view{};
}

void put_latest(write_txn& txn, const nlohmann::json& list) {
  tables::dashboard.put(txn, std::string(latest_key), list.dump());
}

} // namespace

nlohmann::json latest(const read_txn& txn) {
  if (auto v = tables::dashboard.get(txn, std::string(latest_key))) {
    auto old = nlohmann::json::parse(*v, nullptr, false);
    if (old.is_array()) {
      return old;
    }
  }
  return nlohmann::json::array();
}

void note_imports(write_txn& txn, std::vector<nlohmann::json>& records) {
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
  auto list = latest(txn);
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
  put_latest(txn, list);
}

void note_stored_media(write_txn& txn,
                       const std::vector<std::pair<std::string, std::string>>& media) {
  auto list = latest(txn);
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
    put_latest(txn, list);
  }
}

void forget_user(write_txn& txn, const std::string& user) {
  auto list = latest(txn);
  auto kept = nlohmann::json::array();
  for (auto& r : list) {
    if (!r.is_object() || r.value("user", std::string{}) != user) {
      kept.push_back(std::move(r));
    }
  }
  if (kept.size() != list.size()) {
    put_latest(txn, kept);
  }
}

void put_raw_latest(write_txn& txn, const std::string& value) {
  tables::dashboard.put(txn, std::string(latest_key), value);
}

} // namespace igbridge::dashboard
