// Whose record a change is: each family module says where its records
// name their user; this reads changes by that, for the cluster's split of
// a commit by shard and for dropping a shard's local copy.

#include "igbridge/store/owners.hpp"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "igbridge/mutations.hpp"
#include "igbridge/store/imports.hpp"
#include "igbridge/store/inbox.hpp"
#include "igbridge/store/media_refs.hpp"
#include "igbridge/store/outbox.hpp"
#include "igbridge/store/resume.hpp"
#include "igbridge/store/schedule.hpp"
#include "igbridge/store/seen.hpp"
#include "igbridge/store/users.hpp"

namespace igbridge::owners {

namespace {

/// Per database: where its user is; nullopt for the node's own families
/// (OAuth states, deletions, counters, the dashboard, meta), which no
/// module lists.
using placements = std::array<std::optional<user_at>, db_count>;

const placements& table() {
  static const placements t = [] {
    placements out{};
    for (const auto& family :
         {users::user_placements(), seen::user_placements(), outbox::user_placements(),
          inbox::user_placements(), schedule::user_placements(), resume::user_placements(),
          media_refs::user_placements(), imports::user_placements()}) {
      for (const auto& p : family) {
        out[static_cast<std::size_t>(p.d)] = p.at;
      }
    }
    return out;
  }();
  return t;
}

std::string_view before_nul(std::string_view s) {
  return s.substr(0, s.find('\0'));
}

std::string_view after_time(std::string_view s) {
  return s.size() > 8 ? s.substr(8) : std::string_view{};
}

std::string_view user_in(user_at at, mutation::kind op, std::string_view key,
                         std::string_view value) {
  switch (at) {
    case user_at::key:
      return key;
    case user_at::key_prefix:
      return before_nul(key);
    case user_at::key_suffix: {
      auto nul = key.find('\0');
      return nul == std::string_view::npos ? std::string_view{} : key.substr(nul + 1);
    }
    case user_at::key_after_time:
      return after_time(key);
    case user_at::key_after_time_prefix:
      return before_nul(after_time(key));
    case user_at::value:
      return value;
    case user_at::value_dup:
      // A key removed with all its duplicates would name several users:
      // no family does that to a per-user dupsort database.
      return op == mutation::kind::del_key ? std::string_view{} : value;
  }
  return {};
}

} // namespace

std::optional<std::string_view> user_of(db d, mutation::kind op, std::string_view key,
                                        std::string_view value) {
  const auto& at = table()[static_cast<std::size_t>(d)];
  if (!at) {
    return std::nullopt;
  }
  auto user = user_in(*at, op, key, value);
  if (user.empty()) {
    return std::nullopt;
  }
  return user;
}

bool per_user(db d) {
  return table()[static_cast<std::size_t>(d)].has_value();
}

std::size_t drop_users(write_txn& txn, const std::function<bool(std::string_view user)>& drop) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < db_count; ++i) {
    auto d = static_cast<db>(i);
    if (!per_user(d)) {
      continue;
    }
    std::vector<std::pair<std::string, std::string>> gone;
    txn.scan(d, {}, [&](std::string_view k, std::string_view v) {
      auto user = user_of(d, mutation::kind::put, k, v);
      if (user && drop(*user)) {
        gone.emplace_back(std::string(k), std::string(v));
      }
      return true;
    });
    // With its value: one duplicate of a dupsort database (ig_index), and
    // LMDB ignores the value elsewhere.
    for (auto& [k, v] : gone) {
      txn.del(d, k, v);
    }
    n += gone.size();
  }
  return n;
}

uint32_t dump_users(const read_txn& txn, const std::function<bool(std::string_view user)>& keep,
                    std::string& batch) {
  uint32_t n = 0;
  for (std::size_t i = 0; i < db_count; ++i) {
    auto d = static_cast<db>(i);
    if (!per_user(d)) {
      continue;
    }
    txn.scan(d, {}, [&](std::string_view k, std::string_view v) {
      auto user = user_of(d, mutation::kind::put, k, v);
      if (user && keep(*user)) {
        append_mutation(batch, d, mutation::kind::put, k, v);
        ++n;
      }
      return true;
    });
  }
  return n;
}

} // namespace igbridge::owners
