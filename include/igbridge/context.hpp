#pragma once
/// @brief What every actor of one daemon shares read-only: configuration,
/// the LMDB environment, the outbound HTTP client and the metrics. Mutable
/// state lives in actors; the few process-wide values here are atomics.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "igbridge/clock.hpp"
#include "igbridge/config.hpp"
#include "igbridge/http_client.hpp"
#include "igbridge/live_config.hpp"
#include "igbridge/metrics.hpp"
#include "igbridge/provider.hpp"
#include "igbridge/records.hpp"
#include "igbridge/store.hpp"

namespace igbridge {

namespace cluster {
struct node_view;
}

class responder; // http_server.hpp: answers one inbound request
using responder_ptr = std::shared_ptr<responder>;
struct link_grant; // messages.hpp

struct context {
  context(config c, store_ptr s, outbound_http& h, metrics& m)
    : cfg(std::move(c)), db(std::move(s)), http(h), stats(m),
      live_(std::make_shared<const live_config>(cfg)) {
    // nop
  }

  /// The configuration as it was at start. Its secrets stay as they were
  /// then: code that uses a secret reads live() instead, which a reload
  /// (SIGHUP) replaces.
  config cfg;
  igbridge::dialect dialect = igbridge::dialect::graph;
  store_ptr db;
  outbound_http& http;
  metrics& stats;
  /// Unix time before which no user starts a provider fetch: set when the
  /// provider says the app as a whole is rate limited.
  std::atomic<int64_t> throttle_until{0};
  /// public_url + "/oauth/instagram/callback".
  std::string redirect_uri;
  /// When this process started (unix seconds), for /status.
  int64_t started_at = 0;
  /// Called on the writer's thread with what each commit changed (the store
  /// captures then), before the batch's answers and notes go out: a shard's
  /// changelog, or a file the mutation-replay test reads. False: the batch
  /// could not be published, and its answers say it failed.
  std::function<bool(const std::string& encoded_batch)> on_commit;
  /// In cluster mode, the node's latest view of the cluster (never blocks:
  /// the node's own thread refreshes it); empty on a single node.
  std::function<std::shared_ptr<const cluster::node_view>()> cluster_view;
  /// Cluster mode: whether this node owns the user's shard now (holds its
  /// lease and has restored it), and the user's shard. Unset on a single
  /// node, where every user is the node's own. Both cheap and thread-safe:
  /// the writer, the registry and the delivery ask them per record.
  std::function<bool(std::string_view user)> owns;
  std::function<uint32_t(std::string_view user)> shard_of;
  bool owns_user(std::string_view user) const { return !owns || owns(user); }
  /// Cluster mode: whether the delivery may send the user's entries now:
  /// owned, and the lease not past its TTL on this node's clock (a node
  /// woken from a pause sends nothing before a renewal). Unset on a single
  /// node.
  std::function<bool(std::string_view user)> sends_for;
  bool sends_for_user(std::string_view user) const { return !sends_for || sends_for(user); }
  /// Cluster mode: whether the writer takes changes of the user: its shard
  /// is owned or leaving (a shard handed over still takes the writes of
  /// what was in flight: they are published before the hand-over ends).
  std::function<bool(std::string_view user)> writes_for;
  /// Cluster mode: a verified webhook's Instagram ids go to their users'
  /// shards through JetStream, and `reply` is answered once they are
  /// stored (any node takes webhooks). Unset on a single node, where the
  /// writer records them.
  std::function<void(std::vector<std::string> instagram_ids, responder_ptr reply,
                     std::chrono::steady_clock::time_point received)>
    route_hints;
  /// Cluster mode: a grant for a user whose shard another node serves goes
  /// to that owner through the shard's stream; `done(true)` once stored
  /// there (on a NATS thread).
  std::function<void(const std::string& user, const link_grant& grant,
                     std::function<void(bool stored)> done)>
    forward_link;
  /// Cluster mode: the app users of an Instagram id (the replicated index;
  /// `ok` false when NATS did not answer), and an unlink (a deauthorize)
  /// sent to the owner of the user's shard; both complete on a NATS thread.
  std::function<void(const std::string& instagram_id,
                     std::function<void(std::vector<std::string> users, bool ok)> done)>
    lookup_users;
  std::function<void(const std::string& user, const std::string& reason,
                     std::function<void(bool stored)> done)>
    forward_unlink;
  /// Cluster mode: OAuth states in the replicated bucket (igb_oauth), so a
  /// link started on one node completes on another. `done` runs on a NATS
  /// thread: put → stored?; get → the state, nullopt when absent, `ok`
  /// false when NATS did not answer; take → the same, once (of two takes
  /// only one gets it).
  std::function<void(const std::string& nonce, std::string state, std::function<void(bool ok)> done)>
    oauth_put;
  using oauth_done = std::function<void(std::optional<std::string> state, bool ok)>;
  std::function<void(const std::string& nonce, oauth_done done)> oauth_get;
  std::function<void(const std::string& nonce, oauth_done done)> oauth_take;
  /// Cluster mode: an admin request about `user` answered by the node that
  /// serves the user's shard (`done` on a NATS thread).
  std::function<void(const std::string& user, const http_request& req,
                     std::function<void(http_response)> done)>
    ask_owner;
  /// Cluster mode: stored media kept in IGB_MEDIA too, so any node serves
  /// them (file names as the media store gives them). They block: the
  /// media store's thread and the writer's call them.
  std::function<bool(const std::string& name, std::string_view bytes)> media_put;
  std::function<std::optional<std::string>(const std::string& name)> media_get;
  std::function<void(const std::string& name)> media_remove;
  /// Cluster mode: data deletions (core/cluster_deletions.hpp), any node.
  /// open: the request under its code (a replay finds its first code;
  /// nullopt when NATS did not answer), `completed` for a replay already
  /// carried out; get: the request behind a code (nullopt and `ok` when
  /// unknown); forward_erase: the erase sent to the user's owner through
  /// her shard's stream, `stored` once it is there. `done` runs on a NATS
  /// thread.
  struct deletion_opened {
    std::string code;
    bool completed = false;
  };
  std::function<void(const std::string& request_key, const std::string& fresh_code,
                     const std::string& instagram_id, std::vector<std::string> users,
                     std::function<void(std::optional<deletion_opened>)> done)>
    deletion_open;
  std::function<void(const std::string& code,
                     std::function<void(std::optional<deletion_record>, bool ok)> done)>
    deletion_get;
  std::function<void(const std::string& user, const std::string& code,
                     std::function<void(bool stored)> done)>
    forward_erase;
  /// The wall clock the actors read (unix seconds); tests inject their own
  /// and drive CAF's test coordinator in step with it.
  std::function<int64_t()> clock;
  int64_t now() const { return clock ? clock() : unix_now(); }
  /// The configuration with the secrets as last read: one consistent set.
  live_config_ptr live() const { return std::atomic_load(&live_); }
  void set_live(live_config_ptr l) { std::atomic_store(&live_, std::move(l)); }
  /// Raises throttle_until to `until` (never lowers it).
  void throttle(int64_t until) {
    auto cur = throttle_until.load();
    while (cur < until && !throttle_until.compare_exchange_weak(cur, until)) {
      // retry with the fresh value
    }
  }

private:
  live_config_ptr live_;
};

using context_ptr = std::shared_ptr<context>;

} // namespace igbridge
