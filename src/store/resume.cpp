// The resume family: one JSON value per user, {"ig", "urls"}.

#include "igbridge/store/resume.hpp"

#include <nlohmann/json.hpp>

#include "igbridge/tables.hpp"

namespace igbridge::resume {

namespace {
/// Cursors of unfinished runs kept per user.
constexpr std::size_t max_kept = 50;
} // namespace

std::vector<std::string> load(const read_txn& txn, const user_record& rec) {
  std::vector<std::string> out;
  auto v = tables::resume.get(txn, rec.user);
  if (!v) {
    return out;
  }
  auto j = nlohmann::json::parse(*v, nullptr, false);
  if (!j.is_object() || j.value("ig", std::string{}) != rec.instagram_user_id) {
    return out; // cursors of another account (before a re-link)
  }
  if (auto it = j.find("urls"); it != j.end() && it->is_array()) {
    for (const auto& u : *it) {
      if (u.is_string()) {
        out.push_back(u.get<std::string>());
      }
    }
  }
  return out;
}

void bound(std::vector<std::string>& urls) {
  if (urls.size() > max_kept) {
    urls.erase(urls.begin(), urls.end() - static_cast<std::ptrdiff_t>(max_kept));
  }
}

void save(write_txn& txn, const user_record& rec, std::vector<std::string> urls) {
  bound(urls);
  if (urls.empty()) {
    tables::resume.del(txn, rec.user);
    return;
  }
  nlohmann::json j{{"ig", rec.instagram_user_id}, {"urls", urls}};
  tables::resume.put(txn, rec.user, j.dump());
}

void forget(write_txn& txn, const std::string& user) {
  tables::resume.del(txn, user);
}

void put_raw(write_txn& txn, const std::string& user, const std::string& value) {
  tables::resume.put(txn, user, value);
}

std::vector<owners::placement> user_placements() {
  using owners::user_at;
  return {{db::resume, user_at::key}};
}

} // namespace igbridge::resume
