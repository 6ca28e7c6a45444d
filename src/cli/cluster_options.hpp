#pragma once
// The NATS link's options from [cluster], for the daemon and for
// `igbridge cluster import`.

#include <algorithm>
#include <chrono>

#include "igbridge/cluster/link.hpp"
#include "igbridge/config.hpp"

namespace igbridge {

inline cluster::link_options link_options_of(const config& cfg) {
  const auto& c = cfg.cluster;
  cluster::link_options o;
  o.urls = c.nats_urls;
  o.node_id = c.node_id;
  o.shards = static_cast<uint32_t>(c.shards);
  o.lease_ttl = std::chrono::seconds(c.lease_ttl_s);
  o.replicas = c.replicas;
  o.creds_path = c.nats_creds_path;
  o.tls_ca_path = c.nats_tls_ca_path;
  o.oauth_ttl = std::chrono::seconds(cfg.link.ttl_s);
  // The lease keeper needs every answer within a third of the TTL, so one
  // slow call cannot hold a renewal past the lease's expiry (leases.hpp).
  auto third = std::chrono::duration_cast<std::chrono::milliseconds>(o.lease_ttl) / 3;
  o.request_timeout = std::min(o.request_timeout, third);
  o.publish_timeout = std::min(o.publish_timeout, third);
  o.setup_timeout = std::chrono::seconds(10);
  return o;
}

} // namespace igbridge
