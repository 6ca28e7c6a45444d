// The media references family: both directions change together, here only.

#include "igbridge/store/media_refs.hpp"

namespace igbridge::media_refs {

namespace {

std::string with_nul(const std::string& s) {
  return s + std::string(1, '\0');
}

} // namespace

void add(write_txn& txn, const std::string& user, const std::vector<std::string>& names) {
  for (const auto& n : names) {
    txn.put(db::media_refs, with_nul(n) + user, {});
    txn.put(db::user_media, with_nul(user) + n, {});
  }
}

bool referenced(const read_txn& txn, const std::string& name) {
  bool any = false;
  txn.scan_prefix(db::media_refs, with_nul(name), [&](std::string_view, std::string_view) {
    any = true;
    return false;
  });
  return any;
}

void forget_user(write_txn& txn, write_notes& notes, const std::string& user) {
  auto prefix = with_nul(user);
  std::vector<std::string> names;
  txn.scan_prefix(db::user_media, prefix, [&](std::string_view k, std::string_view) {
    names.emplace_back(k.substr(prefix.size()));
    return true;
  });
  for (const auto& name : names) {
    txn.del(db::user_media, prefix + name);
    txn.del(db::media_refs, with_nul(name) + user);
    if (!referenced(txn, name)) {
      notes.media_gone.push_back(name);
    }
  }
}

void release(write_txn& txn, write_notes& notes, const std::string& user,
             const std::vector<std::string>& names) {
  for (const auto& name : names) {
    txn.del(db::user_media, with_nul(user) + name);
    txn.del(db::media_refs, with_nul(name) + user);
    if (!referenced(txn, name)) {
      notes.media_gone.push_back(name);
    }
  }
}

std::vector<owners::placement> user_placements() {
  using owners::user_at;
  return {{db::media_refs, user_at::key_suffix}, {db::user_media, user_at::key_prefix}};
}

} // namespace igbridge::media_refs
