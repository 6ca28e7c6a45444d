#include "igbridge/config.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "detail.hpp"

namespace igbridge {

namespace {

using config_detail::problems;
using config_detail::section_reader;

/// Reads a listen address kept as text in TOML into its parsed form.
void read_listen(section_reader& r, const char* key, listen_address& value) {
  std::string text;
  r.get(key, text);
  if (text.empty()) {
    return;
  }
  if (auto parsed = config_detail::parse_listen(text)) {
    value = *parsed;
  } else {
    r.problem(key, "'" + text + "' is not HOST:PORT (numeric IPv4, [IPv6] or localhost; port 0-65535)");
  }
}

const toml::table* section(const toml::table& root, const char* name, problems& out) {
  const auto* n = root.get(name);
  if (n == nullptr) {
    return nullptr;
  }
  if (const auto* t = n->as_table()) {
    return t;
  }
  out.push_back({name, "expected a table"});
  return nullptr;
}

void read_server(const toml::table& root, config& c, problems& out) {
  section_reader r(section(root, "server", out), "server", out);
  read_listen(r, "listen", c.server.listen);
  r.get("public_url", c.server.public_url);
  r.get("threads", c.server.threads);
  r.get("max_connections", c.server.max_connections);
  r.finish();
}

void read_admin(const toml::table& root, config& c, problems& out) {
  section_reader r(section(root, "admin", out), "admin", out);
  read_listen(r, "listen", c.admin.listen);
  r.get("token_file", c.admin.token_file);
  r.get("max_connections", c.admin.max_connections);
  r.finish();
}

void read_storage(const toml::table& root, config& c, problems& out) {
  section_reader r(section(root, "storage", out), "storage", out);
  r.get("path", c.storage.path);
  r.get("key_file", c.storage.key_file);
  r.get("map_size_mb", c.storage.map_size_mb);
  r.finish();
}

void read_actors(const toml::table& root, config& c, problems& out) {
  section_reader r(section(root, "actors", out), "actors", out);
  r.get("idle_s", c.actors.idle_s);
  r.get("max_concurrent_fetches", c.actors.max_concurrent_fetches);
  r.finish();
}

void read_instagram(const toml::table& root, config& c, problems& out) {
  auto& s = c.instagram;
  section_reader r(section(root, "instagram", out), "instagram", out);
  r.get("dialect", s.dialect);
  r.get("client_id", s.client_id);
  r.get("client_secret_file", s.client_secret_file);
  r.get("meta_app_secret_file", s.meta_app_secret_file);
  r.get("verify_token_file", s.verify_token_file);
  r.get("extra_webhook_secret_files", s.extra_webhook_secret_files);
  r.get("webhook_fields", s.webhook_fields);
  r.get("scopes", s.scopes);
  r.get("app_id", s.app_id);
  r.get("authorize_url", s.authorize_url);
  r.get("token_url", s.token_url);
  r.get("graph_url", s.graph_url);
  r.get("graph_version", s.graph_version);
  r.get("facebook_graph_url", s.facebook_graph_url);
  r.get("api_url", s.api_url);
  r.finish();
}

void read_link(const toml::table& root, config& c, problems& out) {
  section_reader r(section(root, "link", out), "link", out);
  r.get("secret_file", c.link.secret_file);
  r.get("success_url", c.link.success_url);
  r.get("cancel_url", c.link.cancel_url);
  r.get("ttl_s", c.link.ttl_s);
  r.finish();
}

void read_import(const toml::table& root, config& c, problems& out) {
  auto& s = c.import;
  section_reader r(section(root, "import", out), "import", out);
  r.get("tags", s.tags);
  r.get("block", s.block);
  r.get("initial_count", s.initial_count);
  r.get("update_count", s.update_count);
  r.get("webhook_delay_s", s.webhook_delay_s);
  r.get("poll", s.poll);
  r.get("poll_tiers_s", s.poll_tiers_s);
  r.get("recheck_s", s.recheck_s);
  r.get("seen_keep", s.seen_keep);
  r.get("on_untag", s.on_untag);
  r.get("backfill_max", s.backfill_max);
  r.finish();
}

void read_sink(const toml::table& root, config& c, problems& out) {
  auto& s = c.sink;
  section_reader r(section(root, "sink", out), "sink", out);
  r.get("type", s.type);
  r.get("path", s.path);
  r.get("url", s.url);
  r.get("secret_file", s.secret_file);
  r.get("token_file", s.token_file);
  r.get("events_url", s.events_url);
  r.get("events_secret_file", s.events_secret_file);
  r.get("retry_schedule_s", s.retry_schedule_s);
  r.get("concurrency", s.concurrency);
  r.get("timeout_s", s.timeout_s);
  r.get("micropub_syntax", s.micropub_syntax);
  r.finish();
}

void read_media(const toml::table& root, config& c, problems& out) {
  auto& s = c.media;
  section_reader r(section(root, "media", out), "media", out);
  r.get("store", s.store);
  r.get("path", s.path);
  r.get("base_url", s.base_url);
  r.get("max_bytes", s.max_bytes);
  r.get("concurrency", s.concurrency);
  r.get("timeout_s", s.timeout_s);
  r.finish();
}

void read_log(const toml::table& root, config& c, problems& out) {
  section_reader r(section(root, "log", out), "log", out);
  r.get("level", c.log.level);
  r.finish();
}

/// [cluster] is the one optional section: its presence switches the node to
/// cluster mode (DESIGN §9), so `enabled` records whether the table is there.
void read_cluster(const toml::table& root, config& c, problems& out) {
  auto& s = c.cluster;
  const auto* tbl = section(root, "cluster", out);
  s.enabled = tbl != nullptr;
  section_reader r(tbl, "cluster", out);
  r.get("nats_urls", s.nats_urls);
  r.get("node_id", s.node_id);
  r.get("shards", s.shards);
  r.get("lease_ttl_s", s.lease_ttl_s);
  r.get("replicas", s.replicas);
  r.get("snapshot_every", s.snapshot_every);
  r.get("nats_creds_file", s.nats_creds_file);
  r.get("nats_tls_ca_file", s.nats_tls_ca_file);
  r.finish();
}

/// Every section's keys (each reader reports the keys it does not know),
/// then the tables nobody reads.
void read_keys(const toml::table& root, config& c, problems& out) {
  read_server(root, c, out);
  read_admin(root, c, out);
  read_storage(root, c, out);
  read_actors(root, c, out);
  read_instagram(root, c, out);
  read_link(root, c, out);
  read_import(root, c, out);
  read_sink(root, c, out);
  read_media(root, c, out);
  read_log(root, c, out);
  read_cluster(root, c, out);
  static const char* const sections[] = {"server", "admin",  "storage", "actors", "instagram", "link",
                                         "import", "sink",   "media",   "log",    "cluster"};
  for (const auto& [k, v] : root) {
    bool known = false;
    for (const char* name : sections) {
      known = known || k.str() == name;
    }
    if (!known) {
      out.push_back({config_detail::toml_key(k.str()), v.is_table() ? "unknown table" : "unknown key"});
    }
  }
}

} // namespace

const char* to_string(sink_kind k) {
  switch (k) {
    case sink_kind::jsonl:
      return "jsonl";
    case sink_kind::webhook:
      return "webhook";
    case sink_kind::micropub:
      return "micropub";
  }
  return "jsonl";
}

std::vector<config_problem> parse_config(const std::string& toml_text, config& out) {
  problems found;
  config c;
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "line " << e.source().begin.line << ", column " << e.source().begin.column << ": "
        << e.description();
    found.push_back({"config", msg.str()});
    out = c;
    return found;
  }
  read_keys(root, c, found);
  config_detail::validate(c, found);
  config_detail::read_secrets(c, found);
  out = std::move(c);
  return found;
}

std::vector<config_problem> load_config(const std::string& path, config& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    out = config{};
    return {{"config", "cannot read " + path + ": " + std::strerror(err)}};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), out);
}

} // namespace igbridge
