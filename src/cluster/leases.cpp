// lease_keeper (leases.hpp): one thread per node that keeps its heartbeat,
// renews and hands over leases, and takes the shards rendezvous gives it.
// Renewals and acquisitions of a tick go out together (async publishes
// and worker jobs) and the tick waits for all of them, so 256 leases cost
// about one round trip, not 256. Callbacks are collected under the lock and
// fired after it, on this thread.

#include "igbridge/cluster/leases.hpp"

#include <nlohmann/json.hpp>

#include "igbridge/cluster/names.hpp"
#include "igbridge/cluster/sharding.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/log.hpp"

namespace igbridge::cluster {

namespace {

using clock = std::chrono::steady_clock;

/// Waits for a known number of completions from other threads.
class latch {
public:
  explicit latch(std::size_t n) : left_(n) {}
  void done() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--left_ == 0) {
      cv_.notify_all();
    }
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return left_ == 0; });
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t left_;
};

struct outcome {
  uint32_t shard = 0;
  clock::time_point sent;
  result<uint64_t> r;
};

/// Starts one write per (shard, revision) at once and waits for them all.
template <class Start>
std::vector<outcome> all_at_once(const std::vector<std::pair<uint32_t, uint64_t>>& todo,
                                 Start start) {
  std::vector<outcome> results(todo.size());
  latch all(todo.size());
  for (std::size_t i = 0; i < todo.size(); ++i) {
    results[i].shard = todo[i].first;
    results[i].sent = clock::now();
    start(todo[i].first, todo[i].second, [&results, &all, i](result<uint64_t> r) {
      results[i].r = std::move(r);
      all.done();
    });
  }
  all.wait();
  return results;
}

} // namespace

const char* to_string(lease_loss why) {
  switch (why) {
    case lease_loss::rejected: return "rejected";
    case lease_loss::expired: return "expired";
    case lease_loss::handoff: return "handoff";
    case lease_loss::stopping: return "stopping";
  }
  return "?";
}

lease_keeper::lease_keeper(cluster_link& link, lease_events events, lease_options opts)
    : link_(link),
      events_(std::move(events)),
      opts_(opts),
      node_(link.options().node_id),
      incarnation_(random_token()),
      shards_(link.options().shards),
      ttl_(std::chrono::duration_cast<std::chrono::milliseconds>(link.options().lease_ttl)),
      leases_(link, names::leases_bucket),
      nodes_(link, names::nodes_bucket) {
  if (opts_.tick.count() <= 0) {
    opts_.tick = ttl_ / 3;
  }
}

lease_keeper::~lease_keeper() {
  stop();
}

void lease_keeper::start() {
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { run(); });
  }
}

void lease_keeper::release(uint32_t shard) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(shard);
  if (it != held_.end() && it->second.handing_off) {
    it->second.released = true;
    cv_.notify_all();
  }
}

void lease_keeper::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_requested_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void lease_keeper::abandon() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    abandon_ = true;
    stop_requested_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

std::vector<uint32_t> lease_keeper::owned() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<uint32_t> out;
  for (const auto& [shard, h] : held_) {
    out.push_back(shard);
  }
  return out;
}

std::vector<std::string> lease_keeper::live_nodes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return live_;
}

bool lease_keeper::healthy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return heartbeat_ok_ != clock::time_point{} && clock::now() - heartbeat_ok_ < ttl_;
}

result<std::vector<node_info>> lease_keeper::nodes() const {
  using out = result<std::vector<node_info>>;
  auto keys = nodes_.keys();
  if (!keys.ok()) {
    return out::failure(keys.st);
  }
  std::vector<node_info> all;
  for (const auto& key : keys.value) {
    auto beat = nodes_.get(key);
    if (!beat.ok()) {
      continue; // expired or left between the two reads
    }
    auto j = nlohmann::json::parse(beat.value.value, nullptr, false);
    node_info n;
    n.id = key;
    n.shards = j.is_object() ? j.value("shards", uint32_t{0}) : 0;
    n.figures = j.is_object() && j.contains("figures") ? j["figures"].dump() : "{}";
    all.push_back(std::move(n));
  }
  return out::success(std::move(all));
}

std::string lease_keeper::lease_value() const {
  return nlohmann::json{{"node", node_}, {"incarnation", incarnation_}}.dump();
}

void lease_keeper::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_requested_) {
    lock.unlock();
    tick();
    lock.lock();
    cv_.wait_for(lock, opts_.tick, [this] {
      if (stop_requested_) {
        return true;
      }
      for (const auto& [shard, h] : held_) {
        if (h.released) {
          return true; // a hand-over is ready: delete its lease now
        }
      }
      return false;
    });
  }
  if (abandon_) {
    return;
  }
  lock.unlock();
  leave();
}

void lease_keeper::tick() {
  // Renewals first: a slow heartbeat must not let a held lease run out.
  renew_all();
  heartbeat();
  std::vector<std::string> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    live = live_;
  }
  auto mine_list = shards_for(live, node_, shards_);
  std::set<uint32_t> mine(mine_list.begin(), mine_list.end());
  hand_off(mine);
  acquire(mine);
}

void lease_keeper::heartbeat() {
  std::size_t count = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    count = held_.size();
  }
  auto figures = nlohmann::json::parse(events_.figures ? events_.figures() : "{}", nullptr, false);
  auto value = nlohmann::json{{"node", node_},
                              {"incarnation", incarnation_},
                              {"shards", count},
                              {"figures", figures.is_object() ? figures : nlohmann::json::object()}}
                 .dump();
  auto put = nodes_.put(node_, value);
  auto keys = nodes_.keys();
  std::lock_guard<std::mutex> lock(mu_);
  if (put.ok()) {
    heartbeat_ok_ = clock::now();
  }
  if (keys.ok()) {
    std::set<std::string> live(keys.value.begin(), keys.value.end());
    live.insert(node_); // a node always counts itself, even before its first heartbeat lands
    live_.assign(live.begin(), live.end());
  } else if (live_.empty()) {
    live_ = {node_};
  }
}

std::chrono::milliseconds lease_keeper::usable_for() const {
  return ttl_ - std::min<std::chrono::milliseconds>(ttl_ / 5, std::chrono::seconds(2));
}

bool lease_keeper::fresh(uint32_t shard) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(shard);
  return it != held_.end() && clock::now() - it->second.renewed_sent < usable_for();
}

void lease_keeper::renew_all() {
  std::vector<std::pair<uint32_t, uint64_t>> todo;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [shard, h] : held_) {
      if (!h.released) {
        todo.emplace_back(shard, h.revision);
      }
    }
  }
  if (todo.empty()) {
    return;
  }
  const std::string value = lease_value();
  auto results = all_at_once(todo, [&](uint32_t shard, uint64_t rev, publish_done done) {
    leases_.update_async(names::lease_key(shard), value, rev, std::move(done));
  });
  std::vector<std::pair<uint32_t, lease_loss>> lost;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = clock::now();
    for (auto& o : results) {
      auto it = held_.find(o.shard);
      if (it == held_.end()) {
        continue;
      }
      if (o.r.ok()) {
        it->second.revision = o.r.value;
        it->second.renewed_sent = o.sent;
        continue;
      }
      bool rejected = o.r.st.code == errc::fenced;
      bool expired = now - it->second.renewed_sent >= usable_for();
      if (!rejected && !expired) {
        continue; // no quorum for now; the lease still runs
      }
      // An owner already told to stop is not told again.
      if (!it->second.handing_off) {
        lost.emplace_back(o.shard, rejected ? lease_loss::rejected : lease_loss::expired);
      }
      held_.erase(it);
    }
  }
  for (const auto& [shard, why] : lost) {
    log(log_level::warning, "cluster_lease_lost",
        {{"shard", std::to_string(shard)}, {"why", to_string(why)}});
    if (events_.lost) {
      events_.lost(shard, why);
    }
  }
}

void lease_keeper::hand_off(const std::set<uint32_t>& mine) {
  std::vector<uint32_t> to_stop;
  std::vector<std::pair<uint32_t, uint64_t>> to_delete;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = clock::now();
    for (auto& [shard, h] : held_) {
      if (!h.handing_off && mine.count(shard) == 0) {
        h.handing_off = true;
        h.handoff_since = now;
        to_stop.push_back(shard);
      } else if (h.handing_off && (h.released || now - h.handoff_since >= opts_.handoff_timeout)) {
        to_delete.emplace_back(shard, h.revision);
      }
    }
    for (const auto& [shard, rev] : to_delete) {
      held_.erase(shard);
    }
  }
  for (uint32_t shard : to_stop) {
    if (events_.lost) {
      events_.lost(shard, lease_loss::handoff);
    }
  }
  for (const auto& [shard, rev] : to_delete) {
    // Fenced means the lease moved on already: nothing left to give.
    leases_.release(names::lease_key(shard), rev);
  }
}

void lease_keeper::acquire(const std::set<uint32_t>& mine) {
  std::vector<std::pair<uint32_t, uint64_t>> todo;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (uint32_t shard : mine) {
      if (held_.count(shard) == 0) {
        todo.emplace_back(shard, 0);
      }
    }
  }
  if (todo.empty()) {
    return;
  }
  const std::string value = lease_value();
  auto results = all_at_once(todo, [&](uint32_t shard, uint64_t, publish_done done) {
    leases_.create_async(names::lease_key(shard), value, std::move(done));
  });
  std::vector<uint32_t> gained;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& o : results) {
      if (o.r.ok()) {
        held h;
        h.revision = o.r.value;
        h.renewed_sent = o.sent;
        held_[o.shard] = h;
        gained.push_back(o.shard);
      }
    }
  }
  for (uint32_t shard : gained) {
    log(log_level::info, "cluster_lease_gained", {{"shard", std::to_string(shard)}});
    if (events_.gained) {
      events_.gained(shard);
    }
  }
}

void lease_keeper::leave() {
  nodes_.purge(node_); // the others see this node gone at their next tick
  std::vector<uint32_t> to_stop;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = clock::now();
    for (auto& [shard, h] : held_) {
      if (!h.handing_off) {
        h.handing_off = true;
        h.handoff_since = now;
        to_stop.push_back(shard);
      }
    }
  }
  for (uint32_t shard : to_stop) {
    if (events_.lost) {
      events_.lost(shard, lease_loss::stopping);
    }
  }
  // Renew what is still being flushed, delete what is released, until all
  // are gone or the owners ran out of time.
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = clock::now() + opts_.handoff_timeout;
  while (!held_.empty()) {
    std::vector<std::pair<uint32_t, uint64_t>> to_delete;
    bool late = clock::now() >= deadline;
    for (const auto& [shard, h] : held_) {
      if (h.released || late) {
        to_delete.emplace_back(shard, h.revision);
      }
    }
    for (const auto& [shard, rev] : to_delete) {
      held_.erase(shard);
    }
    lock.unlock();
    for (const auto& [shard, rev] : to_delete) {
      leases_.release(names::lease_key(shard), rev);
    }
    renew_all();
    lock.lock();
    if (held_.empty()) {
      break;
    }
    cv_.wait_for(lock, opts_.tick, [this] {
      for (const auto& [shard, h] : held_) {
        if (h.released) {
          return true;
        }
      }
      return false;
    });
  }
}

} // namespace igbridge::cluster
