// The imports family: one JSON value per delivered import.

#include "igbridge/store/imports.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "igbridge/store/seen.hpp"

namespace igbridge::imports {

namespace {

std::string key_of(const std::string& user, const std::string& media_id) {
  std::string k = user;
  k.push_back('\0');
  return k + media_id;
}

std::string encode(const delivered& d) {
  nlohmann::json j{{"caption", d.caption},     {"tags", d.tags},
                   {"media_type", d.media_type}, {"children", d.children},
                   {"permalink", d.permalink}, {"taken_at", d.taken_at},
                   {"imported_at", d.imported_at}};
  if (!d.location.empty()) {
    j["location"] = d.location;
  }
  if (d.deleted) {
    j["deleted"] = true;
  }
  if (!d.files.empty()) {
    j["files"] = d.files;
  }
  if (!d.values_known) {
    j["known"] = false;
  }
  return j.dump();
}

std::optional<delivered> decode(const std::string& v) {
  auto j = nlohmann::json::parse(v, nullptr, false);
  if (!j.is_object()) {
    return std::nullopt;
  }
  delivered d;
  try {
    d.caption = j.value("caption", std::string{});
    d.tags = j.value("tags", std::vector<std::string>{});
    d.media_type = j.value("media_type", std::string{});
    d.children = j.value("children", std::vector<std::string>{});
    d.permalink = j.value("permalink", std::string{});
    d.taken_at = j.value("taken_at", int64_t{0});
    d.imported_at = j.value("imported_at", int64_t{0});
    d.location = j.value("location", std::string{});
    d.deleted = j.value("deleted", false);
    d.files = j.value("files", std::vector<std::string>{});
    d.values_known = j.value("known", true);
  } catch (const std::exception&) {
    return std::nullopt; // a field of the wrong type: unreadable
  }
  return d;
}

} // namespace

std::optional<delivered> get(const read_txn& txn, const std::string& user,
                             const std::string& media_id) {
  auto v = txn.get(db::imports, key_of(user, media_id));
  return v ? decode(*v) : std::nullopt;
}

void put(write_txn& txn, const std::string& user, const std::string& media_id,
         const delivered& d) {
  txn.put(db::imports, key_of(user, media_id), encode(d));
}

void set_files(write_txn& txn, const std::string& user, const std::string& media_id,
               const std::vector<std::string>& names) {
  auto d = get(txn, user, media_id);
  if (!d) {
    return;
  }
  d->files = names;
  put(txn, user, media_id, *d);
}

std::vector<std::string> files_only_of(const read_txn& txn, const std::string& user,
                                       const std::string& media_id,
                                       const std::vector<std::string>& names) {
  std::vector<std::string> only = names;
  auto prefix = user + std::string(1, '\0');
  txn.scan_prefix(db::imports, prefix, [&](std::string_view k, std::string_view v) {
    if (k.substr(prefix.size()) == media_id) {
      return true;
    }
    auto d = decode(std::string(v));
    if (d && !d->deleted) {
      for (const auto& f : d->files) {
        only.erase(std::remove(only.begin(), only.end(), f), only.end());
      }
    }
    return !only.empty();
  });
  return only;
}

void set_location(write_txn& txn, const std::string& user, const std::string& media_id,
                  const std::string& url) {
  auto d = get(txn, user, media_id).value_or(delivered{});
  d.location = url;
  put(txn, user, media_id, d);
}

void erase_user(write_txn& txn, const std::string& user) {
  std::string prefix = user;
  prefix.push_back('\0');
  std::vector<std::string> keys;
  txn.scan_prefix(db::imports, prefix, [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  });
  for (auto& k : keys) {
    txn.del(db::imports, k);
  }
}

void upgrade_to_v4(write_txn& txn) {
  seen::each_imported(txn, [&](const std::string& user, std::string_view media_id,
                               const seen_entry& e) {
    delivered d;
    d.taken_at = e.taken_at;
    d.imported_at = e.first_seen;
    d.values_known = false;
    put(txn, user, std::string(media_id), d);
  });
}

std::string media_id_of(const std::string& record_id) {
  constexpr std::string_view prefix = "instagram:";
  return record_id.compare(0, prefix.size(), prefix) == 0 ? record_id.substr(prefix.size())
                                                          : record_id;
}

std::vector<owners::placement> user_placements() {
  using owners::user_at;
  return {{db::imports, user_at::key_prefix}};
}

} // namespace igbridge::imports
