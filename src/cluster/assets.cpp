// ensure_assets (link.hpp): the streams and KV buckets of docs/cluster.md,
// created by whichever node comes first and verified by the others. The
// server answers an identical create with the existing stream, so racing
// nodes all succeed; a stream that exists with other subjects or retention
// is refused (it is not ours to change), other replica counts only warned
// about (an operator may have scaled them on purpose). The shard count is
// written once, create-only, into igb_meta: every later node compares.

#include <chrono>
#include <thread>

#include "igbridge/cluster/kv.hpp"
#include "igbridge/cluster/names.hpp"
#include "igbridge/log.hpp"
#include "link_impl.hpp"
#include "nats_util.hpp"

namespace igbridge::cluster {

namespace {

constexpr int64_t ns_per_s = 1000000000;

struct stream_spec {
  const char* name;
  const char* subjects;
  jsRetentionPolicy retention;
  int64_t max_age_s; // 0 = keep until purged
  const char* what;
};

/// Stream names and what they hold are docs/cluster.md's table.
const stream_spec streams[] = {
  // Hints wait here until the shard's owner has committed them; a week
  // bounds what a shard nobody consumes can pile up.
  {names::hints_stream, names::hints_subjects, js_WorkQueuePolicy, 7 * 24 * 3600, "webhook hints"},
  {names::log_stream, names::log_subjects, js_LimitsPolicy, 0, "shard changelogs"},
  {names::snap_stream, names::snap_subjects, js_LimitsPolicy, 0, "shard snapshots"},
  {names::media_stream, names::media_subjects, js_LimitsPolicy, 0, "stored media"},
};

bool transient(const status& st) {
  return st.code == errc::timeout || st.code == errc::no_quorum || st.code == errc::disconnected;
}

status verify_stream(jsCtx* js, const stream_spec& spec, int replicas) {
  jsStreamInfo* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&raw, js, spec.name, nullptr, &jerr);
  stream_info_ptr si(raw);
  if (s != NATS_OK) {
    return nats_failure(s, jerr, std::string("stream ") + spec.name);
  }
  const jsStreamConfig& cfg = *si->Config;
  bool same_subjects = cfg.SubjectsLen == 1 && std::string(cfg.Subjects[0]) == spec.subjects;
  if (!same_subjects || cfg.Retention != spec.retention) {
    return {errc::mismatch, std::string("stream ") + spec.name
                                + " exists with other subjects or retention; it is not igbridge's"};
  }
  if (cfg.Replicas != replicas) {
    log(log_level::warning, "cluster_replicas_differ",
        {{"stream", spec.name}, {"has", std::to_string(cfg.Replicas)},
         {"configured", std::to_string(replicas)}});
  }
  return {};
}

status ensure_stream(jsCtx* js, const stream_spec& spec, int replicas) {
  const char* subjects[] = {spec.subjects};
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = spec.name;
  cfg.Description = spec.what;
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Retention = spec.retention;
  cfg.Storage = js_FileStorage;
  cfg.Replicas = replicas;
  cfg.MaxAge = spec.max_age_s * ns_per_s;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(nullptr, js, &cfg, nullptr, &jerr);
  if (s == NATS_OK) {
    return {};
  }
  if (jerr == JSStreamNameExistErr) {
    return verify_stream(js, spec, replicas);
  }
  return nats_failure(s, jerr, std::string("create stream ") + spec.name);
}

struct bucket_spec {
  const char* name;
  int64_t ttl_s; // 0 = values never expire
  const char* ttl_key; // the config key that sets ttl_s, for a mismatch
  const char* what;
};

status ensure_bucket(jsCtx* js, const bucket_spec& spec, int replicas) {
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = spec.name;
  cfg.Description = spec.what;
  cfg.History = 1;
  cfg.TTL = spec.ttl_s * ns_per_s; // libnats 3.4.1 passes TTL through as nanoseconds
  cfg.StorageType = js_FileStorage;
  cfg.Replicas = replicas;
  kvStore* kv = nullptr;
  natsStatus s = js_CreateKeyValue(&kv, js, &cfg);
  kvStore_Destroy(kv);
  if (s == NATS_OK) {
    return {};
  }
  auto failed = nats_failure(s, {}, std::string("create bucket ") + spec.name);
  if (s != NATS_ERR) {
    return failed;
  }
  // libnats answers NATS_ERR "Existing configuration is different": say
  // which of our settings the cluster was created with otherwise.
  jsStreamInfo* raw = nullptr;
  std::string stream = std::string("KV_") + spec.name;
  s = js_GetStreamInfo(&raw, js, stream.c_str(), nullptr, nullptr);
  stream_info_ptr si(raw);
  if (s != NATS_OK) {
    return failed;
  }
  int64_t ttl_s = si->Config->MaxAge / ns_per_s;
  if (ttl_s != spec.ttl_s) {
    return {errc::mismatch, std::string(spec.ttl_key) + ": the cluster's bucket " + spec.name
                                + " expires values after " + std::to_string(ttl_s)
                                + " s, this node is configured with " + std::to_string(spec.ttl_s)
                                + " s"};
  }
  // Same TTL: other differences (replicas scaled by an operator, an older
  // description) leave the bucket usable as it is.
  log(log_level::warning, "cluster_bucket_differs",
      {{"bucket", spec.name}, {"replicas", std::to_string(si->Config->Replicas)},
       {"configured_replicas", std::to_string(replicas)}});
  return {};
}

/// The shard count is fixed by the first node; every other node compares.
status check_shards(cluster_link& link, uint32_t shards) {
  kv_bucket meta(link, names::meta_bucket);
  auto created = meta.create(names::shards_key, std::to_string(shards));
  if (created.ok()) {
    log(log_level::notice, "cluster_created", {{"shards", std::to_string(shards)}});
    return {};
  }
  if (created.st.code != errc::exists) {
    return created.st;
  }
  auto fixed = meta.get(names::shards_key);
  if (!fixed.ok()) {
    return fixed.st;
  }
  if (fixed.value.value != std::to_string(shards)) {
    return {errc::mismatch, "cluster.shards: this node is configured with " + std::to_string(shards)
                                + " but the cluster was created with " + fixed.value.value
                                + " shards (the count cannot change)"};
  }
  return {};
}

status ensure_once(cluster_link& link) {
  auto& self = link.internals();
  const auto& o = self.opts;
  for (const auto& spec : streams) {
    if (auto st = ensure_stream(self.js, spec, o.replicas); !st.ok()) {
      return st;
    }
  }
  const int64_t lease_s = o.lease_ttl.count();
  const bucket_spec buckets[] = {
    {names::meta_bucket, 0, "", "cluster facts fixed at creation"},
    {names::nodes_bucket, lease_s, "cluster.lease_ttl_s", "live nodes' heartbeats"},
    {names::leases_bucket, lease_s, "cluster.lease_ttl_s", "shard leases"},
    {names::ig_index_bucket, 0, "", "Instagram id to app users"},
    {names::oauth_bucket, o.oauth_ttl.count(), "link.ttl_s", "OAuth link attempts by nonce"},
    {names::deletions_bucket, 0, "", "data-deletion confirmation codes"},
  };
  for (const auto& spec : buckets) {
    if (auto st = ensure_bucket(self.js, spec, o.replicas); !st.ok()) {
      return st;
    }
  }
  return check_shards(link, o.shards);
}

} // namespace

status cluster_link::ensure_assets() {
  auto deadline = std::chrono::steady_clock::now() + impl_->opts.setup_timeout;
  for (;;) {
    auto st = ensure_once(*this);
    if (st.ok() || !transient(st) || std::chrono::steady_clock::now() >= deadline) {
      return st;
    }
    // Right after the servers start there is no JetStream leader for a moment.
    log(log_level::info, "cluster_setup_retry", {{"reason", st.message}});
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

} // namespace igbridge::cluster
