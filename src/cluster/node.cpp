// node.hpp: the node's own thread joins the cluster and keeps a view of it
// for the admin listener. Every NATS call here blocks, which is why they run
// on this thread and never on a CAF worker (STYLE: no worker waits on the
// network); readers only load a shared_ptr.

#include "igbridge/cluster/node.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "igbridge/cluster/leases.hpp"
#include "igbridge/cluster/names.hpp"
#include "igbridge/log.hpp"
#include "link_impl.hpp"
#include "nats_util.hpp"

namespace igbridge::cluster {

namespace {

/// Messages in `stream`, in all and per shard (subjects
/// `<prefix>.<shard>`, `filter` their wildcard), from one stream-info
/// request; -1 and none when the stream cannot be read. Blocks.
struct stream_counts {
  int64_t total = -1;
  std::vector<int64_t> by_shard;
};

stream_counts count_messages(cluster_link& link, const char* stream, const char* filter,
                             uint32_t shards) {
  jsOptions o;
  jsOptions_Init(&o);
  o.Stream.Info.SubjectsFilter = filter;
  jsStreamInfo* raw = nullptr;
  natsStatus s = js_GetStreamInfo(&raw, link.internals().js, stream, &o, nullptr);
  stream_info_ptr si(raw);
  if (s != NATS_OK || !si) {
    return {};
  }
  stream_counts out;
  out.total = static_cast<int64_t>(si->State.Msgs);
  out.by_shard.assign(shards, 0);
  if (const auto* subjects = si->State.Subjects) {
    for (int i = 0; i < subjects->Count; ++i) {
      std::string_view subject = subjects->List[i].Subject;
      uint32_t shard = 0;
      auto digits = subject.substr(subject.rfind('.') + 1);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), shard);
      if (ec == std::errc() && end == digits.data() + digits.size() && shard < shards) {
        out.by_shard[shard] = static_cast<int64_t>(subjects->List[i].Msgs);
      }
    }
  }
  return out;
}

} // namespace

struct node_runtime::parts {
  std::unique_ptr<cluster_link> link;
  std::unique_ptr<lease_keeper> keeper;
};

node_runtime::node_runtime(link_options opts) : opts_(std::move(opts)) {
  node_view v;
  v.node_id = opts_.node_id;
  v.shards = opts_.shards;
  v.why_not_ready = "not connected to NATS yet";
  view_ = std::make_shared<const node_view>(std::move(v));
}

node_runtime::~node_runtime() {
  stop();
}

void node_runtime::start() {
  thread_ = std::thread([this] { run(); });
}

void node_runtime::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void node_runtime::release(uint32_t shard) {
  if (auto* k = keeper_.load(); k != nullptr) {
    k->release(shard);
  }
}

bool node_runtime::fresh(uint32_t shard) const {
  auto* k = keeper_.load();
  return k != nullptr && k->fresh(shard);
}

bool node_runtime::holds(uint32_t shard) const {
  auto* k = keeper_.load();
  if (k == nullptr) {
    return false;
  }
  auto owned = k->owned();
  return std::binary_search(owned.begin(), owned.end(), shard);
}

std::shared_ptr<const node_view> node_runtime::view() const {
  return std::atomic_load(&view_);
}

void node_runtime::publish(node_view v) {
  std::atomic_store(&view_, std::shared_ptr<const node_view>(
                              std::make_shared<const node_view>(std::move(v))));
}

bool node_runtime::pause(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

bool node_runtime::join_cluster() {
  auto linked = cluster_link::connect(opts_);
  if (!linked.ok()) {
    node_view v = *view();
    v.connected = false;
    v.quorum = false;
    v.why_not_ready = "no NATS server answers: " + linked.st.message;
    publish(std::move(v));
    return false;
  }
  auto assets = linked.value->ensure_assets();
  if (!assets.ok()) {
    // A mismatch (cluster.shards, lease_ttl_s) stays until the operator
    // fixes the config; anything else is retried.
    log(assets.code == errc::mismatch ? log_level::error : log_level::warning,
        "cluster_setup_failed", {{"error", assets.message}});
    node_view v = *view();
    v.connected = linked.value->connected();
    v.quorum = false;
    v.why_not_ready = "cluster setup failed: " + assets.message;
    publish(std::move(v));
    return false;
  }
  auto p = std::make_unique<parts>();
  p->link = std::move(linked.value);
  if (hooks_.joined) {
    hooks_.joined(*p->link);
  }
  // The parts keep their address when moved into parts_, and the keeper
  // exists before its first callback.
  lease_events events;
  events.figures = hooks_.figures;
  if (hooks_.lost) {
    events.gained = hooks_.gained;
    events.lost = hooks_.lost;
  } else {
    // Nothing local to stop or flush: the lease is given up at once.
    events.lost = [held = p.get()](uint32_t shard, lease_loss why) {
      if (why == lease_loss::handoff || why == lease_loss::stopping) {
        held->keeper->release(shard);
      }
    };
  }
  p->keeper = std::make_unique<lease_keeper>(*p->link, std::move(events));
  keeper_.store(p->keeper.get());
  p->keeper->start();
  parts_ = std::move(p);
  log(log_level::notice, "cluster_joined",
      {{"node", opts_.node_id}, {"shards", std::to_string(opts_.shards)}});
  return true;
}

void node_runtime::refresh() {
  auto& link = *parts_->link;
  auto& keeper = *parts_->keeper;
  node_view v;
  v.node_id = opts_.node_id;
  v.shards = opts_.shards;
  v.lease_ttl = opts_.lease_ttl;
  v.taken_at = std::chrono::steady_clock::now();
  v.connected = link.connected();
  v.quorum = keeper.healthy();
  if (!v.connected) {
    v.why_not_ready = "not connected to any NATS server";
  } else if (!v.quorum) {
    v.why_not_ready = "no NATS quorum: this node's heartbeat was not stored within lease_ttl_s";
  }
  v.owned = keeper.owned();
  v.serving = hooks_.serving ? hooks_.serving() : v.owned;
  auto nodes = v.connected ? keeper.nodes() : result<std::vector<node_info>>::failure({errc::disconnected, ""});
  if (nodes.ok()) {
    for (auto& n : nodes.value) {
      seen_.insert(n.id);
      v.nodes.push_back({n.id, n.shards, true, n.figures});
    }
    for (const auto& id : seen_) {
      bool live = std::any_of(v.nodes.begin(), v.nodes.end(), [&](const member& m) { return m.id == id; });
      if (!live) {
        v.nodes.push_back({id, 0, false, "{}"});
      }
    }
    std::sort(v.nodes.begin(), v.nodes.end(), [](const member& a, const member& b) { return a.id < b.id; });
    auto hints = count_messages(link, names::hints_stream, names::hints_subjects, v.shards);
    v.hints_pending = hints.total;
    v.hints_by_shard = std::move(hints.by_shard);
    v.changelog_by_shard =
      count_messages(link, names::log_stream, names::log_subjects, v.shards).by_shard;
  } else {
    // Without the heartbeats, the last known members, with this node's own
    // count fresh.
    v.nodes = view()->nodes;
    for (auto& m : v.nodes) {
      if (m.id == v.node_id) {
        m.shards = static_cast<uint32_t>(v.owned.size());
      }
    }
  }
  publish(std::move(v));
}

void node_runtime::run() {
  // Every tick at least as often as the keeper's, so /readyz follows a lost
  // quorum within about a third of the lease TTL.
  auto tick = std::max<std::chrono::milliseconds>(
    std::chrono::milliseconds(200),
    std::chrono::duration_cast<std::chrono::milliseconds>(opts_.lease_ttl) / 3);
  while (!parts_ && !join_cluster()) {
    if (!pause(std::chrono::seconds(1))) {
      return;
    }
  }
  do {
    refresh();
  } while (pause(tick));
  // Graceful leave: the other nodes take this node's shards at their next
  // tick instead of after the leases expire. Without a server there is no
  // one to tell, and each release would wait out its timeout: the leases
  // expire by themselves then.
  if (parts_->link->connected()) {
    parts_->keeper->stop();
  } else {
    parts_->keeper->abandon();
  }
  parts_->link->close();
  log(log_level::notice, "cluster_left", {{"node", opts_.node_id}});
}

} // namespace igbridge::cluster
