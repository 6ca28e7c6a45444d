// ig_index (kv.hpp): one key per Instagram id whose value is the JSON array
// of app users linked to it. Several nodes may link users of the same
// Instagram account at once; server 2.9.10 lets two concurrent updates at
// one revision both land (kv.hpp), so a change runs under a create-only
// lock (which that server does serialise) and then writes at the read
// revision as well.

#include <algorithm>
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "igbridge/cluster/kv.hpp"
#include "igbridge/cluster/names.hpp"

namespace igbridge::cluster {

namespace {

std::optional<std::vector<std::string>> parse_users(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    return std::nullopt;
  }
  std::vector<std::string> users;
  for (const auto& u : j) {
    if (!u.is_string()) {
      return std::nullopt;
    }
    users.push_back(u.get<std::string>());
  }
  std::sort(users.begin(), users.end());
  users.erase(std::unique(users.begin(), users.end()), users.end());
  return users;
}

std::string dump_users(const std::vector<std::string>& users) {
  return nlohmann::json(users).dump();
}

} // namespace

ig_index::ig_index(cluster_link& link)
    : link_(&link), bucket_(link, names::ig_index_bucket), locks_(link, names::leases_bucket) {
  // nop
}

result<std::vector<std::string>> ig_index::users(std::string_view ig_id) const {
  using out = result<std::vector<std::string>>;
  auto got = bucket_.get(ig_id);
  if (got.st.code == errc::not_found) {
    return out::success({});
  }
  if (!got.ok()) {
    return out::failure(got.st);
  }
  auto users = parse_users(got.value.value);
  if (!users) {
    return out::failure({errc::failed, "ig_index value of " + std::string(ig_id) + " is not a list"});
  }
  return out::success(std::move(*users));
}

namespace {
constexpr int max_cas_retries = 5;
} // namespace

status ig_index::change(std::string_view ig_id, std::string_view app_user, bool add) const {
  // "lock-ig-" never collides with the leases' "shard-<n>" keys.
  const std::string lock = "lock-ig-" + names::kv_key(ig_id);
  auto deadline = std::chrono::steady_clock::now() + 2 * link_->options().lease_ttl;
  auto pause = std::chrono::milliseconds(5);
  for (;;) {
    auto held = locks_.create(lock, link_->options().node_id);
    if (held.ok()) {
      // A compare-and-set refused under the lock read a stale value (a
      // replica behind its leader, or 2.9.10's check made before
      // replication): read again and retry, as any CAS loop does.
      auto st = change_locked(ig_id, std::string(app_user), add);
      for (int again = 0; st.code == errc::fenced && again < max_cas_retries; ++again) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5 << again));
        st = change_locked(ig_id, std::string(app_user), add);
      }
      locks_.release(lock, held.value);
      return st;
    }
    if (held.st.code != errc::exists) {
      return held.st;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return {errc::timeout, "ig_index " + std::string(ig_id) + ": its lock stays taken"};
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(200));
  }
}

status ig_index::change_locked(std::string_view ig_id, const std::string& user, bool add) const {
  auto got = bucket_.get(ig_id);
  if (got.st.code == errc::not_found) {
    return add ? bucket_.create(ig_id, dump_users({user})).st : status{};
  }
  if (!got.ok()) {
    return got.st;
  }
  auto users = parse_users(got.value.value);
  if (!users) {
    return {errc::failed, "ig_index value of " + std::string(ig_id) + " is not a list"};
  }
  auto at = std::lower_bound(users->begin(), users->end(), user);
  bool present = at != users->end() && *at == user;
  if (present == add) {
    return {}; // already as asked
  }
  if (add) {
    users->insert(at, user);
  } else {
    users->erase(at);
  }
  return users->empty() ? bucket_.remove(ig_id, got.value.revision)
                        : bucket_.update(ig_id, dump_users(*users), got.value.revision).st;
}

status ig_index::add(std::string_view ig_id, std::string_view app_user) const {
  return change(ig_id, app_user, true);
}

status ig_index::remove(std::string_view ig_id, std::string_view app_user) const {
  return change(ig_id, app_user, false);
}

void ig_index::put_all_async(std::string ig_id, std::vector<std::string> app_users,
                             publish_done done) const {
  std::sort(app_users.begin(), app_users.end());
  app_users.erase(std::unique(app_users.begin(), app_users.end()), app_users.end());
  bucket_.put_async(std::move(ig_id), dump_users(app_users), std::move(done));
}

void ig_index::users_async(std::string ig_id,
                           std::function<void(result<std::vector<std::string>>)> done) const {
  run_async<std::vector<std::string>>(
      *link_, [self = *this, ig_id] { return self.users(ig_id); }, std::move(done));
}

void ig_index::add_async(std::string ig_id, std::string app_user,
                         std::function<void(status)> done) const {
  run_async_status(
      *link_, [self = *this, ig_id, app_user] { return self.add(ig_id, app_user); },
      std::move(done));
}

void ig_index::remove_async(std::string ig_id, std::string app_user,
                            std::function<void(status)> done) const {
  run_async_status(
      *link_, [self = *this, ig_id, app_user] { return self.remove(ig_id, app_user); },
      std::move(done));
}

} // namespace igbridge::cluster
