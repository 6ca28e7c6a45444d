#pragma once
/// @brief The inside of cluster_link, shared by the area's modules (KV,
/// changelog, hints, leases): the libnats connection and JetStream context,
/// the table of async publishes awaiting their ack, and the worker pool.

#include <nats/nats.h>

#include <mutex>
#include <unordered_map>

#include "igbridge/cluster/link.hpp"
#include "worker_pool.hpp"

namespace igbridge::cluster {

struct cluster_link::impl {
  explicit impl(link_options o) : opts(std::move(o)), workers(opts.workers) {}

  link_options opts;
  natsOptions* nats_opts = nullptr;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;

  std::mutex mu;
  bool closing = false; // guarded by mu
  /// Async publishes in flight, by the natsMsg libnats hands back to the
  /// ack handler (it owns the message until then). Guarded by mu.
  std::unordered_map<natsMsg*, publish_done> pending;

  worker_pool workers;
};

} // namespace igbridge::cluster
