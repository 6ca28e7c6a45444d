// Data deletions in the replicated bucket (cluster_deletions.hpp).

#include "core/cluster_deletions.hpp"

#include <nlohmann/json.hpp>

#include "igbridge/cluster/kv.hpp"
#include "igbridge/cluster/link.hpp"
#include "igbridge/log.hpp"

namespace igbridge {

namespace {

std::string done_key(const std::string& code, const std::string& user) {
  return code + "/done/" + user;
}

struct request_state {
  deletion_record record;
  std::vector<std::string> users;
};

std::string encode_request(const request_state& r) {
  return nlohmann::json{{"instagram_user_id", r.record.instagram_user_id},
                        {"users", r.users},
                        {"requested_at", r.record.requested_at},
                        {"status", to_string(r.record.status)},
                        {"completed_at", r.record.completed_at}}
    .dump();
}

std::optional<request_state> decode_request(const std::string& bytes) {
  auto j = nlohmann::json::parse(bytes, nullptr, false);
  if (!j.is_object() || !j.contains("users") || !j["users"].is_array()) {
    return std::nullopt;
  }
  request_state r;
  r.record.instagram_user_id = j.value("instagram_user_id", std::string());
  for (const auto& u : j["users"]) {
    if (u.is_string()) {
      r.users.push_back(u.get<std::string>());
    }
  }
  r.record.users = r.users.size();
  r.record.requested_at = j.value("requested_at", int64_t{0});
  r.record.completed_at = j.value("completed_at", int64_t{0});
  r.record.status = j.value("status", std::string()) == to_string(deletion_status::completed)
                      ? deletion_status::completed
                      : deletion_status::in_progress;
  return r;
}

/// Writes the request under its code; with no user to erase, completed.
std::optional<cluster_deletions::opened> write_request(const cluster::kv_bucket& bucket,
                                                       const std::string& code,
                                                       const std::string& instagram_id,
                                                       const std::vector<std::string>& users,
                                                       int64_t now) {
  request_state r;
  r.record.instagram_user_id = instagram_id;
  r.users = users;
  r.record.requested_at = now;
  if (users.empty()) {
    r.record.status = deletion_status::completed;
    r.record.completed_at = now;
  }
  if (!bucket.put(code, encode_request(r)).ok()) {
    return std::nullopt;
  }
  return cluster_deletions::opened{code, users.empty()};
}

} // namespace

std::optional<cluster_deletions::opened>
cluster_deletions::open(const std::string& request_key, const std::string& fresh_code,
                        const std::string& instagram_id, const std::vector<std::string>& users,
                        int64_t now) const {
  auto* link = link_.load();
  if (link == nullptr) {
    return std::nullopt;
  }
  auto bucket = cluster::deletion_codes(*link);
  // The request first: of two deliveries of the same request, one code.
  auto claimed = bucket.create("request/" + request_key, fresh_code);
  if (claimed.ok()) {
    return write_request(bucket, fresh_code, instagram_id, users, now);
  }
  if (claimed.st.code != cluster::errc::exists) {
    return std::nullopt;
  }
  auto code = bucket.get("request/" + request_key);
  if (!code.ok()) {
    return std::nullopt;
  }
  auto req = bucket.get(code.value.value);
  if (req.ok()) {
    auto r = decode_request(req.value.value);
    return opened{code.value.value, r && r->record.status == deletion_status::completed};
  }
  if (req.st.code != cluster::errc::not_found) {
    return std::nullopt;
  }
  // The first delivery stopped between its two writes: go on with its code.
  return write_request(bucket, code.value.value, instagram_id, users, now);
}

std::optional<deletion_record> cluster_deletions::get(const std::string& code, bool& ok) const {
  ok = false;
  auto* link = link_.load();
  if (link == nullptr) {
    return std::nullopt;
  }
  auto req = cluster::deletion_codes(*link).get(code);
  if (!req.ok()) {
    ok = req.st.code == cluster::errc::not_found;
    return std::nullopt;
  }
  ok = true;
  auto r = decode_request(req.value.value);
  if (!r) {
    return std::nullopt;
  }
  return r->record;
}

bool cluster_deletions::user_done(const std::string& code, const std::string& user,
                                  int64_t now) const {
  auto* link = link_.load();
  if (link == nullptr) {
    return false;
  }
  auto bucket = cluster::deletion_codes(*link);
  auto marked = bucket.create(done_key(code, user), "1");
  if (!marked.ok() && marked.st.code != cluster::errc::exists) {
    return false;
  }
  auto req = bucket.get(code);
  if (!req.ok()) {
    // No request under that code (an erase sent without one): nothing to
    // complete.
    return req.st.code == cluster::errc::not_found;
  }
  auto r = decode_request(req.value.value);
  if (!r || r->record.status == deletion_status::completed) {
    return true;
  }
  for (const auto& u : r->users) {
    auto m = bucket.get(done_key(code, u));
    if (!m.ok()) {
      // Not every user's owner is done: the last one completes it (or a
      // NATS error here: this one is marked, the marker stays).
      return m.st.code == cluster::errc::not_found;
    }
  }
  r->record.status = deletion_status::completed;
  r->record.completed_at = now;
  // Whoever sees every marker writes the same completion: a race is harmless.
  if (!bucket.put(code, encode_request(*r)).ok()) {
    return false;
  }
  log(log_level::notice, "cluster.data_deletion_completed",
      {{"code", code}, {"users", std::to_string(r->users.size())}});
  return true;
}

void cluster_deletions::open_async(std::string request_key, std::string fresh_code,
                                   std::string instagram_id, std::vector<std::string> users,
                                   int64_t now,
                                   std::function<void(std::optional<opened>)> done) const {
  auto* link = link_.load();
  auto job = [this, request_key = std::move(request_key), fresh_code = std::move(fresh_code),
              instagram_id = std::move(instagram_id), users = std::move(users), now, done] {
    done(open(request_key, fresh_code, instagram_id, users, now));
  };
  if (link == nullptr || !link->post(std::move(job))) {
    done(std::nullopt);
  }
}

void cluster_deletions::get_async(
  std::string code, std::function<void(std::optional<deletion_record>, bool)> done) const {
  auto* link = link_.load();
  auto job = [this, code = std::move(code), done] {
    bool ok = false;
    auto d = get(code, ok);
    done(std::move(d), ok);
  };
  if (link == nullptr || !link->post(std::move(job))) {
    done(std::nullopt, false);
  }
}

} // namespace igbridge
