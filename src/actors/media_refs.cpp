#include "media_refs.hpp"

#include <vector>

namespace igbridge {

void forget_user_media(write_txn& txn, write_notes& notes, const std::string& user) {
  auto prefix = user + std::string(1, '\0');
  std::vector<std::string> names;
  txn.scan_prefix(db::user_media, prefix, [&](std::string_view k, std::string_view) {
    names.emplace_back(k.substr(prefix.size()));
    return true;
  });
  for (const auto& name : names) {
    txn.del(db::user_media, prefix + name);
    auto ref_prefix = name + std::string(1, '\0');
    txn.del(db::media_refs, ref_prefix + user);
    bool shared = false;
    txn.scan_prefix(db::media_refs, ref_prefix, [&](std::string_view, std::string_view) {
      shared = true;
      return false;
    });
    if (!shared) {
      notes.media_gone.push_back(name);
    }
  }
}

} // namespace igbridge
