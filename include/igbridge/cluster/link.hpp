#pragma once
/// @brief One node's connection to the NATS JetStream cluster: connects
/// (URLs, credentials, TLS CA), creates or verifies every stream and bucket
/// the cluster needs (names.hpp), publishes with or without a fence, and runs
/// blocking calls on its own worker threads for the *_async APIs.
///
/// Threading contract (DESIGN §9, "no CAF worker waits on the network"):
/// - Functions documented "blocks" wait for NATS (up to request_timeout):
///   call them on a dedicated thread, a link worker, or at startup.
/// - *_async functions return without waiting for an answer. Their
///   completion runs exactly once on a thread of the link: a NATS client
///   thread or a link worker, never the caller's (except `closed`, reported
///   inline once the link is closing). Completions must be short: post a
///   message to an actor and return; never block in one.
/// - The link outlives everything built on it (buckets, logs, consumers,
///   lease keepers): stop those first, then close() or destroy the link.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "igbridge/cluster/status.hpp"

namespace igbridge::cluster {

struct link_options {
  std::vector<std::string> urls; // nats://HOST:PORT or tls://HOST:PORT
  std::string node_id;           // names this client to the servers
  uint32_t shards = 256;
  std::chrono::seconds lease_ttl{10};
  int replicas = 3;
  std::string creds_path;  // NATS credentials file (JWT + NKey seed); empty = none
  std::string tls_ca_path; // PEM CA bundle; set = TLS with this trust anchor
  std::chrono::seconds oauth_ttl{600};                   // OAuth states bucket TTL: link.ttl_s
  std::chrono::milliseconds request_timeout{5000};       // JetStream API calls, sync publishes
  std::chrono::milliseconds publish_timeout{5000};       // wait for an async publish's ack
  std::chrono::milliseconds reconnect_wait{500};
  std::chrono::milliseconds setup_timeout{30000}; // ensure_assets retries transient errors this long
  int workers = 4;                                // threads for blocking calls of *_async APIs
};

/// One message to publish into a stream.
struct publish_request {
  std::string subject;
  std::string data;
  std::vector<std::pair<std::string, std::string>> headers;
  /// Nats-Msg-Id: the stream drops a repeat of the same id within its
  /// duplicate window (2 min), so a retried publish is stored once.
  std::string msg_id;
  /// The fence (Nats-Expected-Last-Subject-Sequence): stored only if the
  /// subject's last message is at this sequence; 0 = only if the subject
  /// holds no message. Otherwise the answer is errc::fenced.
  std::optional<uint64_t> expect_last_subject_seq;
};

/// The stream sequence of a stored message, or why it was not stored.
using publish_done = std::function<void(result<uint64_t>)>;

class cluster_link {
public:
  /// Connects to one of `opts.urls` (blocks, up to a few seconds per URL).
  /// Fails when no server answers; the caller may retry. Once connected, the
  /// client reconnects by itself, forever.
  static result<std::unique_ptr<cluster_link>> connect(link_options opts);

  ~cluster_link();
  cluster_link(const cluster_link&) = delete;
  cluster_link& operator=(const cluster_link&) = delete;

  /// Creates the streams and KV buckets, or verifies those another node
  /// created (every node may race to do it: this is idempotent), and checks
  /// the shard count fixed at the cluster's creation. errc::mismatch names
  /// the config key (e.g. "cluster.shards: ..."). Blocks, retrying transient
  /// errors (no leader yet) for up to setup_timeout.
  status ensure_assets();

  const link_options& options() const;
  /// Connected to a server right now (not: reconnecting or closed).
  bool connected() const;
  /// The server's max_payload: the largest message it accepts.
  int64_t max_payload() const;

  /// Publishes and waits for the stream's ack (blocks).
  result<uint64_t> publish(const publish_request& req);
  /// Publishes; `done` gets the ack or the failure (timeout after
  /// publish_timeout) on a NATS thread. Messages over max_payload fail with
  /// too_large.
  void publish_async(publish_request req, publish_done done);

  /// Runs `job` on a link worker thread (for blocking calls). After close()
  /// began, jobs are dropped: wrap completions so that they see errc::closed.
  bool post(std::function<void()> job);

  /// Stops the workers (running jobs finish), waits up to 2 s for
  /// outstanding publishes, fails the rest with errc::closed and closes the
  /// connection. Idempotent; the destructor calls it. Blocks.
  void close();

  struct impl; // src/cluster/link_impl.hpp, for the area's own modules
  impl& internals() { return *impl_; }

private:
  explicit cluster_link(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

/// Runs `fn` (a blocking call returning T) on a link worker and hands its
/// result to `done` there; `done` gets errc::closed if the link is closing.
template <class T, class Fn>
void run_async(cluster_link& link, Fn fn, std::function<void(result<T>)> done) {
  auto shared = std::make_shared<std::function<void(result<T>)>>(std::move(done));
  bool queued = link.post([fn = std::move(fn), shared]() mutable { (*shared)(fn()); });
  if (!queued) {
    (*shared)(result<T>::failure({errc::closed, "the cluster link is closing"}));
  }
}

/// The same for a blocking call that answers a bare status.
template <class Fn>
void run_async_status(cluster_link& link, Fn fn, std::function<void(status)> done) {
  auto shared = std::make_shared<std::function<void(status)>>(std::move(done));
  bool queued = link.post([fn = std::move(fn), shared]() mutable { (*shared)(fn()); });
  if (!queued) {
    (*shared)(status{errc::closed, "the cluster link is closing"});
  }
}

} // namespace igbridge::cluster
