// The seen family: the set and its order index change together here.

#include "igbridge/store/seen.hpp"

#include <cstdlib>
#include <tuple>
#include <vector>

#include "igbridge/tables.hpp"

namespace igbridge::seen {

namespace {

std::string prefix_of(const std::string& user) {
  std::string p = user;
  p.push_back('\0');
  return p;
}

void erase_prefix(write_txn& txn, db d, const std::string& prefix) {
  std::vector<std::string> keys;
  txn.scan_prefix(d, prefix, [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  });
  for (auto& k : keys) {
    txn.del(d, k);
  }
}

} // namespace

std::optional<seen_entry> get(const read_txn& txn, const std::string& user,
                              std::string_view media_id) {
  return tables::seen.get(txn, seen_key(user, media_id));
}

void put(write_txn& txn, user_record& rec, std::string_view media_id, const seen_entry& e,
         bool is_new) {
  tables::seen.put(txn, seen_key(rec.user, media_id), e);
  if (is_new) {
    txn.put(db::seen_order, seen_order_key(rec.user, e.taken_at, media_id), {});
    ++rec.seen_count;
  }
}

std::vector<std::pair<std::string, int64_t>> young_imports(const read_txn& txn,
                                                           const std::string& user, int64_t now,
                                                           int64_t recheck_s) {
  auto prefix = prefix_of(user);
  std::vector<std::pair<std::string, int64_t>> out;
  txn.scan(db::seen_order, seen_order_key(user, now - recheck_s, ""),
           [&](std::string_view k, std::string_view) {
             if (k.substr(0, prefix.size()) != prefix || k.size() < prefix.size() + 8) {
               return false;
             }
             auto media = k.substr(prefix.size() + 8);
             auto e = tables::seen.get(txn, seen_key(user, media));
             if (e && e->judged == verdict::imported) {
               out.emplace_back(std::string(media), e->taken_at);
             }
             return true;
           });
  return out;
}

int64_t oldest_provisional(const read_txn& txn, const std::string& user, int64_t now,
                           int64_t recheck_s) {
  auto prefix = prefix_of(user);
  int64_t found = 0;
  txn.scan(db::seen_order, seen_order_key(user, now - recheck_s, ""),
           [&](std::string_view k, std::string_view) {
             if (k.substr(0, prefix.size()) != prefix || k.size() < prefix.size() + 8) {
               return false;
             }
             auto media = k.substr(prefix.size() + 8);
             auto e = tables::seen.get(txn, seen_key(user, media));
             if (e && e->judged != verdict::imported) {
               found = e->taken_at;
               return false;
             }
             return true;
           });
  return found;
}

void prune(write_txn& txn, user_record& rec, int64_t now, int64_t keep, int64_t recheck_s) {
  if (rec.seen_count <= static_cast<uint64_t>(keep)) {
    return;
  }
  auto excess = rec.seen_count - static_cast<uint64_t>(keep);
  auto prefix = prefix_of(rec.user);
  std::vector<std::string> doomed;
  txn.scan(db::seen_order, prefix, [&](std::string_view k, std::string_view) {
    if (k.substr(0, prefix.size()) != prefix || k.size() < prefix.size() + 8
        || doomed.size() >= excess) {
      return false;
    }
    auto taken = static_cast<int64_t>(seq_from_key(k.substr(prefix.size(), 8)));
    if (now - taken < recheck_s) {
      return false; // young posts stay, whatever the count
    }
    doomed.emplace_back(k);
    return true;
  });
  for (auto& k : doomed) {
    txn.del(db::seen_order, k);
    txn.del(db::seen, seen_key(rec.user, std::string_view(k).substr(prefix.size() + 8)));
  }
  rec.seen_count -= doomed.size();
}

void each_imported(const read_txn& txn,
                   const std::function<void(const std::string&, std::string_view,
                                            const seen_entry&)>& f) {
  std::vector<std::tuple<std::string, std::string, seen_entry>> found;
  tables::seen.each(txn, [&](const std::string& k, const seen_entry& e) {
    auto nul = k.find('\0');
    if (nul != std::string::npos && e.judged == verdict::imported) {
      found.emplace_back(k.substr(0, nul), k.substr(nul + 1), e);
    }
    return true;
  });
  for (auto& [user, media, e] : found) {
    f(user, media, e);
  }
}

void each_since(const read_txn& txn, const std::string& user, int64_t since,
                const std::function<bool(std::string_view, const seen_entry&)>& f) {
  auto prefix = prefix_of(user);
  txn.scan(db::seen_order, seen_order_key(user, since, ""),
           [&](std::string_view k, std::string_view) {
             if (k.substr(0, prefix.size()) != prefix || k.size() < prefix.size() + 8) {
               return false;
             }
             auto media = k.substr(prefix.size() + 8);
             auto e = tables::seen.get(txn, seen_key(user, media));
             return e ? f(media, *e) : true;
           });
}

void erase_user(write_txn& txn, const std::string& user) {
  auto prefix = prefix_of(user);
  erase_prefix(txn, db::seen, prefix);
  erase_prefix(txn, db::seen_order, prefix);
}

std::map<std::string, uint64_t> upgrade_from_v1(write_txn& txn) {
  std::vector<std::pair<std::string, std::string>> old;
  txn.scan(db::seen, {}, [&](std::string_view k, std::string_view v) {
    old.emplace_back(std::string(k), std::string(v));
    return true;
  });
  std::map<std::string, uint64_t> counts;
  for (auto& [k, v] : old) {
    auto nul = k.find('\0');
    if (nul == std::string::npos || decode_seen(v)) {
      continue;
    }
    seen_entry e;
    e.first_seen = std::atoll(v.c_str());
    e.taken_at = e.first_seen;
    e.judged = v.find("imported") != std::string::npos ? verdict::imported
               : v.find("blocked") != std::string::npos ? verdict::blocked
                                                         : verdict::untagged;
    // No caption was kept: a provisional verdict is redone on the next
    // sighting, which imports at most once (the seen mark says so).
    e.caption_hash = 0;
    auto user = k.substr(0, nul);
    auto media = k.substr(nul + 1);
    txn.put(db::seen, k, encode(e));
    txn.put(db::seen_order, seen_order_key(user, e.taken_at, media), {});
    ++counts[user];
  }
  return counts;
}

std::vector<owners::placement> user_placements() {
  using owners::user_at;
  return {{db::seen, user_at::key_prefix}, {db::seen_order, user_at::key_prefix}};
}

} // namespace igbridge::seen
