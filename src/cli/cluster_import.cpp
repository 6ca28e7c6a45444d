// `igbridge cluster import -c FILE --from STATE_DIR`: a single node's store
// into a new cluster, so that nobody relinks (DESIGN §9). Each shard's
// users (every per-user record: tokens as stored, seen sets, imports,
// hints, outbox) go to the shard's changelog as one batch after a claim,
// exactly what an owner's restore replays; the node's own records (OAuth
// states, counters, the dashboard) stay behind. Run it before the nodes
// start: a running owner would not see the import until it next restores
// the shard, so the command refuses while a node's heartbeat is live.

#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "cli/cluster_options.hpp"
#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "igbridge/cluster/changelog.hpp"
#include "igbridge/cluster/kv.hpp"
#include "igbridge/cluster/names.hpp"
#include "igbridge/cluster/sharding.hpp"
#include "igbridge/mutations.hpp"
#include "igbridge/store.hpp"
#include "igbridge/store/owners.hpp"
#include "igbridge/store/users.hpp"

namespace igbridge {

namespace {

/// Index writes awaiting their ack at once.
constexpr std::size_t max_in_flight = 256;

/// Nodes whose heartbeat is live now.
std::vector<std::string> live_nodes(cluster::cluster_link& link) {
  std::vector<std::string> out;
  cluster::kv_bucket nodes(link, cluster::names::nodes_bucket);
  if (auto keys = nodes.keys(); keys.ok()) {
    for (const auto& k : keys.value) {
      if (nodes.get(k).ok()) {
        out.push_back(k);
      }
    }
  }
  return out;
}

} // namespace

int run_cluster_import(const std::string& config_path, const std::string& from) {
  config cfg;
  if (!load_or_report(config_path, cfg)) {
    return 1;
  }
  if (!cfg.cluster.enabled) {
    std::cerr << config_path << ": cluster: no [cluster] table: nothing to import into\n";
    return 1;
  }
  store_ptr src;
  try {
    src = std::make_shared<store>(from);
  } catch (const std::exception& e) {
    std::cerr << "--from " << from << ": " << e.what() << "\n";
    return 1;
  }
  auto linked = cluster::cluster_link::connect(link_options_of(cfg));
  if (!linked.ok()) {
    std::cerr << "cluster.nats_urls: no NATS server answers: " << linked.st.message << "\n";
    return 1;
  }
  auto& link = *linked.value;
  if (auto st = link.ensure_assets(); !st.ok()) {
    std::cerr << "cluster setup failed: " << st.message << "\n";
    return 1;
  }
  if (auto live = live_nodes(link); !live.empty()) {
    std::cerr << "refused: node " << live.front()
              << " is running; stop every node of the cluster, import, then start them\n";
    return 1;
  }
  auto shards = static_cast<uint32_t>(cfg.cluster.shards);
  cluster::shard_log changelog(link);
  auto txn = src->read();
  uint64_t users = 0;
  std::map<std::string, std::vector<std::string>> index; // Instagram id → app users
  users::each(txn, "", [&](const user_record& rec) {
    ++users;
    for (auto& id : users::instagram_ids(rec)) {
      index[id].push_back(rec.user);
    }
    return true;
  });
  uint64_t records = 0;
  uint32_t used = 0;
  for (uint32_t shard = 0; shard < shards; ++shard) {
    std::string batch;
    begin_batch(batch);
    auto n = owners::dump_users(txn, [&](std::string_view u) {
      return cluster::shard_of(u, shards) == shard;
    }, batch);
    end_batch(batch, n);
    if (n == 0) {
      continue;
    }
    // The claim fences whatever wrote the shard before; the batch follows
    // it, as an owner's first append would.
    auto claimed = changelog.claim(shard);
    auto appended = claimed.ok() ? changelog.append(shard, claimed.value, batch)
                                 : cluster::result<uint64_t>::failure(claimed.st);
    if (!appended.ok()) {
      std::cerr << "shard " << shard << ": " << appended.st.message << "\n";
      return 1;
    }
    records += n;
    ++used;
  }
  // The Instagram-id index, each id's whole list in one write, many in
  // flight at once: a new cluster's bucket has nothing to merge with.
  cluster::ig_index ig(link);
  std::mutex mu;
  std::condition_variable cv;
  std::size_t waiting = 0;
  std::string failed;
  for (auto& [id, app_users] : index) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return waiting < max_in_flight; });
      ++waiting;
    }
    ig.put_all_async(id, std::move(app_users), [&](cluster::result<uint64_t> r) {
      std::lock_guard<std::mutex> lock(mu);
      if (!r.ok() && failed.empty()) {
        failed = r.st.message;
      }
      --waiting;
      cv.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return waiting == 0; });
  }
  if (!failed.empty()) {
    std::cerr << "instagram id index: " << failed << "\n";
    return 1;
  }
  link.close();
  nlohmann::json out{{"users", users},           {"records", records},   {"shards", used},
                     {"instagram_ids", index.size()}, {"from", from}};
  std::cout << out.dump() << "\n";
  return 0;
}

} // namespace igbridge
