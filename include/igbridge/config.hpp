#pragma once
/// @brief The daemon's configuration (DESIGN §4): TOML in, validated struct out.

#include <cstdint>
#include <string>
#include <vector>

namespace igbridge {

struct listen_address {
  std::string host; // numeric IPv4/IPv6 address or "localhost"
  uint16_t port = 0;
  bool is_loopback() const;
  std::string to_string() const; // "host:port"
};

/// Where deliveries go (sink.type).
enum class sink_kind { jsonl, webhook, micropub };
const char* to_string(sink_kind k);

struct config {
  struct server_section {
    listen_address listen{"127.0.0.1", 8080};
    std::string public_url = "http://127.0.0.1:8080"; // no trailing slash
    int threads = 2;
    int max_connections = 1024; // open connections; the oldest idle one makes room
  } server;
  struct admin_section {
    listen_address listen{"127.0.0.1", 8081};
    std::string token_file;
    std::string token; // contents of token_file, trimmed
    int max_connections = 64;
  } admin;
  struct storage_section {
    std::string path = "/var/lib/igbridge";
    std::string key_file;
    std::string key; // 32 raw bytes when key_file is set
    int64_t map_size_mb = 64; // where the LMDB map starts; it grows when full
  } storage;
  struct actors_section {
    int64_t idle_s = 30;             // a user actor passivates after this long without work
    int max_concurrent_fetches = 256; // users woken by the scheduler and not yet done
  } actors;
  struct instagram_section {
    std::string dialect = "graph"; // "graph" | "legacy"
    std::string client_id;
    std::string client_secret_file;
    std::string client_secret;
    std::string verify_token_file;
    std::string verify_token;
    std::string meta_app_secret_file; // the Meta app's App Secret (App settings > Basic)
    std::string meta_app_secret;
    std::vector<std::string> extra_webhook_secret_files;
    std::vector<std::string> extra_webhook_secrets;
    std::vector<std::string> webhook_fields; // graph: none = polling only
    std::vector<std::string> scopes{"instagram_business_basic"}; // graph
    std::string app_id; // the Meta App ID (graph app subscriptions); default client_id
    std::string authorize_url; // defaults depend on dialect
    std::string token_url;
    std::string graph_url;
    std::string graph_version = "v23.0"; // versioned graph calls; "" = unversioned
    std::string facebook_graph_url;      // graph app subscriptions host
    std::string api_url;
  } instagram;
  struct link_section {
    std::string secret_file;
    std::string secret;
    std::string success_url;
    std::string cancel_url; // where a cancelled attempt nobody can identify goes; default success_url
    int64_t ttl_s = 600;
  } link;
  struct import_section {
    std::vector<std::string> tags{"eatdifferent", "ed"}; // lowercase, no '#'
    std::vector<std::string> block;
    int initial_count = 20;
    int update_count = 3;
    int64_t webhook_delay_s = 120;
    bool poll = true;
    std::vector<int64_t> poll_tiers_s{900, 3600, 21600, 86400};
    int64_t recheck_s = 604800; // verdicts stay provisional while a post is this young
    int64_t seen_keep = 1000;   // seen ids kept per user (plus every younger than recheck_s)
    /// An imported post whose tags no longer match: "update" (the host
    /// gets media.updated) or "delete" (media.deleted).
    std::string on_untag = "update";
    /// A backfill looks at this many posts at most, newest first.
    int backfill_max = 500;
  } import;
  struct sink_section {
    std::string type = "jsonl"; // "jsonl" | "webhook" | "micropub", as written
    sink_kind kind = sink_kind::jsonl; // the same, for code to branch on
    std::string path = "/var/lib/igbridge/imports.jsonl";
    std::string url;
    std::string secret_file;
    /// webhook: one "whsec_<base64>" per line of secret_file; every
    /// delivery is signed with each, so a host can rotate.
    std::vector<std::string> secrets;
    std::string token_file;
    std::string token;  // micropub bearer token
    /// micropub: the Standard Webhooks endpoint account events go to
    /// ("" = they are skipped), signed with events_secrets (read as secrets).
    std::string events_url;
    std::string events_secret_file;
    std::vector<std::string> events_secrets;
    std::vector<int64_t> retry_schedule_s{5, 300, 1800, 7200, 18000, 36000, 36000};
    int concurrency = 8;
    int64_t timeout_s = 30;
    std::string micropub_syntax = "form"; // "form" | "json" (W3C Micropub §3.3, §3.4)
  } sink;
  struct media_section {
    bool store = true;       // download and keep each import's media before delivery
    std::string path;        // default <storage.path>/media
    std::string base_url;    // default <server.public_url>/media
    int64_t max_bytes = int64_t{50} << 20;
    int concurrency = 64;    // downloads in flight at most (the window adapts below)
    int64_t timeout_s = 120; // one download, whole exchange
  } media;
  struct log_section {
    std::string level = "info"; // debug|info|notice|warning|error
  } log;
  /// DESIGN §9: absent = one node, as before; present = a node of a cluster
  /// on NATS JetStream (docs/cluster.md).
  struct cluster_section {
    bool enabled = false;               // the [cluster] table is present
    std::vector<std::string> nats_urls; // nats://HOST:PORT or tls://HOST:PORT, at least one
    std::string node_id;                // default: the host name; [A-Za-z0-9_-]
    int shards = 256;                   // fixed when the cluster is first created
    int64_t lease_ttl_s = 10;
    int replicas = 3;                   // JetStream replicas of every stream and bucket
    int64_t snapshot_every = 10000;     // changelog batches between a shard's snapshots; 0 = never
    std::string nats_creds_file;        // NATS user credentials (JWT + seed), as configured
    std::string nats_creds_path;        // the same with $CREDENTIALS_DIRECTORY expanded
    std::string nats_tls_ca_file;       // CA bundle that signs the servers' certificates
    std::string nats_tls_ca_path;       // expanded
  } cluster;
};

struct config_problem {
  std::string key;     // dotted key, e.g. "server.listen"
  std::string message; // what is wrong, never a secret value
};

/// Parses and validates `path`; reads every *_file secret. Environment
/// references `$CREDENTIALS_DIRECTORY` / `${CREDENTIALS_DIRECTORY}` in file
/// paths are expanded. Returns every problem found (empty = valid).
std::vector<config_problem> load_config(const std::string& path, config& out);

/// Same for a TOML document in memory (tests); files are still read from disk.
std::vector<config_problem> parse_config(const std::string& toml_text, config& out);

} // namespace igbridge
