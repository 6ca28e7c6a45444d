#pragma once
/// @brief Webhook hints through JetStream (DESIGN §9): any node publishes a
/// verified webhook's hint to the user's shard (igb.hints.<shard>) and
/// answers Meta's webhook 200 only once the stream acknowledged it (stored
/// on a quorum of `replicas`); the shard's owner consumes them with the
/// shard's durable pull consumer and acks each after its own commit.
///
/// One consumer per shard: server 2.9 allows one filter subject per
/// consumer. Delivery is at least once: a hint not acked within ack_wait
/// (its owner died, or gave the shard away) comes again, to whoever
/// consumes the shard then.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "igbridge/cluster/link.hpp"

namespace igbridge::cluster {

/// Publishing side: a value handle, cheap to copy; the link outlives it.
class hint_bus {
public:
  explicit hint_bus(cluster_link& link);

  /// Publishes `payload` to the shard's hints. `done` gets the stream
  /// sequence once stored, or the failure (errc::timeout after the link's
  /// publish_timeout, no_quorum when no leader answers) on a NATS thread.
  /// `msg_id`, if given, makes a retried publish land once (2 min window).
  void publish_async(uint32_t shard, std::string payload, std::string msg_id,
                     publish_done done) const;
  /// The same, waiting for the ack (blocks).
  result<uint64_t> publish(uint32_t shard, std::string_view payload,
                           std::string_view msg_id = {}) const;

private:
  cluster_link* link_;
};

struct hint_consumer_core;

/// Settles one delivered hint. Copyable; acking twice is harmless.
class hint_ack {
public:
  hint_ack() = default;
  hint_ack(std::shared_ptr<hint_consumer_core> core, std::string reply);

  /// Done with it: never deliver again. Does not wait for the server.
  status ack() const;
  /// The same, waiting for the server to confirm (blocks).
  status ack_sync() const;
  /// Not done: deliver again now (to whoever consumes the shard then).
  status nak() const;

private:
  status send(const char* what) const;
  std::shared_ptr<hint_consumer_core> core_;
  std::string reply_;
};

struct hint {
  uint32_t shard = 0;
  uint64_t seq = 0;        // stream sequence: a stable id across redeliveries
  uint64_t deliveries = 1; // 2 and more: a redelivery
  std::string payload;
  hint_ack settle;
};

struct hint_consumer_options {
  int batch = 64;                             // hints asked for per pull request
  std::chrono::milliseconds expires{5000};    // a pull request's long-poll
  std::chrono::milliseconds ack_wait{30000};  // unacked hints come again after this
  int max_ack_pending = 1000;                 // unacked hints in flight per shard
};

/// Consumes the hints of the shards this node owns, through one
/// subscription and a long-poll pull request per shard (libnats 3.4.1 has
/// only blocking fetches; a thread per shard would not scale to 256).
/// `on_hint` runs on a NATS thread: it must be short (post to the owner).
class hint_consumer {
public:
  hint_consumer(cluster_link& link, hint_consumer_options opts,
                std::function<void(hint)> on_hint);
  ~hint_consumer();
  hint_consumer(const hint_consumer&) = delete;
  hint_consumer& operator=(const hint_consumer&) = delete;

  /// Creates (or binds to) the shard's durable consumer and starts pulling.
  /// Blocks for the consumer's creation.
  status start(uint32_t shard);
  /// Stops pulling the shard; hints delivered after this are nak'd at once,
  /// those delivered before and not acked come back after ack_wait unless
  /// the owner naks them.
  void stop(uint32_t shard);
  /// Stops every shard and the subscription. The destructor calls it.
  void stop_all();

  /// Hints stored for the shard and not yet delivered, plus those
  /// delivered and not acked (consumer lag for /status). Blocks.
  result<uint64_t> lag(uint32_t shard) const;

private:
  std::shared_ptr<hint_consumer_core> core_;
};

} // namespace igbridge::cluster
