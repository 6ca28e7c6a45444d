// The [cluster] table (DESIGN §9): checked only when present, since its
// absence is the single-node mode every existing install runs. The node id
// becomes a NATS KV key and a consumer-name token, so it is held to the
// characters both accept; the credentials are read here only to name a bad
// file at startup (libnats reads them again on every connect).

#include <unistd.h>

#include <climits>

#include "detail.hpp"

namespace igbridge::config_detail {

namespace {

bool node_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
         || c == '-';
}

/// Letters, digits, '_' and '-', at most 64: safe as a KV key, a subject
/// token and a durable name (which may not contain '.').
bool node_id_ok(const std::string& id) {
  if (id.empty() || id.size() > 64) {
    return false;
  }
  for (char c : id) {
    if (!node_id_char(c)) {
      return false;
    }
  }
  return true;
}

/// The host name's first label, as `hostname -s` prints it.
std::string short_host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) {
    return {};
  }
  std::string name(buf);
  return name.substr(0, name.find('.'));
}

bool nats_url_ok(const std::string& url) {
  for (const char* scheme : {"nats://", "tls://"}) {
    std::string_view s(scheme);
    if (url.size() > s.size() && url.compare(0, s.size(), s) == 0) {
      return url.find_first_of(" \t\r\n,", s.size()) == std::string::npos;
    }
  }
  return false;
}

/// Reads a file named by `key` to check it holds `marker`; returns the
/// expanded path, or empty after reporting a problem.
std::string checked_file(const std::string& key, const std::string& path, const char* marker,
                         const char* what, problems& out) {
  auto content = read_secret(key, path, out);
  if (!content) {
    return {};
  }
  if (content->find(marker) == std::string::npos) {
    out.push_back({key, std::string("must be ") + what});
    return {};
  }
  return expand_credentials(path).value_or(std::string());
}

} // namespace

void validate_cluster(config::cluster_section& c, problems& out) {
  if (!c.enabled) {
    return;
  }
  if (c.nats_urls.empty()) {
    out.push_back({"cluster.nats_urls", "is required (nats://HOST:PORT or tls://HOST:PORT)"});
  }
  for (const auto& url : c.nats_urls) {
    if (!nats_url_ok(url)) {
      out.push_back({"cluster.nats_urls", "'" + url + "' is not a nats:// or tls:// URL"});
    }
  }
  if (c.node_id.empty()) {
    c.node_id = short_host_name();
    if (!node_id_ok(c.node_id)) {
      out.push_back({"cluster.node_id", "the host name '" + c.node_id
                                          + "' is not usable as a node id; set cluster.node_id"});
    }
  } else if (!node_id_ok(c.node_id)) {
    out.push_back({"cluster.node_id", "must be 1-64 letters, digits, '_' or '-'"});
  }
  if (c.shards < 1 || c.shards > 65536) {
    out.push_back({"cluster.shards", "must be between 1 and 65536"});
  }
  if (c.lease_ttl_s < 1 || c.lease_ttl_s > 3600) {
    out.push_back({"cluster.lease_ttl_s", "must be between 1 and 3600"});
  }
  if (c.snapshot_every < 0 || c.snapshot_every > 100000000) {
    out.push_back({"cluster.snapshot_every", "must be between 0 (never) and 100000000"});
  }
  if (c.replicas < 1 || c.replicas > 5) {
    out.push_back({"cluster.replicas", "must be between 1 and 5 (JetStream's limit)"});
  }
}

void read_cluster_files(config::cluster_section& c, problems& out) {
  if (!c.enabled) {
    return;
  }
  if (!c.nats_creds_file.empty()) {
    c.nats_creds_path = checked_file("cluster.nats_creds_file", c.nats_creds_file,
                                     "USER NKEY SEED",
                                     "a NATS credentials file (a user JWT and its NKey seed)", out);
  }
  if (!c.nats_tls_ca_file.empty()) {
    c.nats_tls_ca_path = checked_file("cluster.nats_tls_ca_file", c.nats_tls_ca_file,
                                      "BEGIN CERTIFICATE", "PEM certificates", out);
  }
}

} // namespace igbridge::config_detail
