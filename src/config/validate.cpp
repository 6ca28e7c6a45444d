#include <algorithm>

#include "detail.hpp"
#include "igbridge/hashtags.hpp"

namespace igbridge::config_detail {

namespace {

void strip_trailing_slashes(std::string& url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
}

bool is_http_url(const std::string& url) {
  for (const char* scheme : {"http://", "https://"}) {
    std::string_view s(scheme);
    if (url.size() > s.size() && url.compare(0, s.size(), s) == 0) {
      return url.find_first_of(" \t\r\n", s.size()) == std::string::npos;
    }
  }
  return false;
}

/// Checks an http(s) URL key and strips its trailing '/'; empty is left to
/// the caller (some URLs are optional).
void check_url(const std::string& key, std::string& url, problems& out) {
  if (url.empty()) {
    return;
  }
  if (!is_http_url(url)) {
    out.push_back({key, "must be an http:// or https:// URL"});
    return;
  }
  strip_trailing_slashes(url);
}

void require(const std::string& key, const std::string& value, problems& out) {
  if (value.empty()) {
    out.push_back({key, "is required"});
  }
}

void positive(const std::string& key, int64_t value, problems& out) {
  if (value <= 0) {
    out.push_back({key, "must be greater than 0"});
  }
}

void positive_list(const std::string& key, const std::vector<int64_t>& values, problems& out) {
  if (values.empty()) {
    out.push_back({key, "must not be empty"});
  } else if (std::any_of(values.begin(), values.end(), [](int64_t v) { return v <= 0; })) {
    out.push_back({key, "every value must be greater than 0"});
  }
}

void one_of(const std::string& key, const std::string& value,
            std::initializer_list<const char*> allowed, problems& out) {
  std::string list;
  for (const char* a : allowed) {
    if (value == a) {
      return;
    }
    list += list.empty() ? a : std::string(", ") + a;
  }
  out.push_back({key, "'" + value + "' is not one of " + list});
}

void normalize_tags(const std::string& key, std::vector<std::string>& tags, problems& out) {
  std::vector<std::string> result;
  for (const auto& t : tags) {
    std::string n = normalize_tag(t);
    if (n.empty()) {
      out.push_back({key, "contains an empty tag"});
      continue;
    }
    if (std::find(result.begin(), result.end(), n) == result.end()) {
      result.push_back(std::move(n));
    }
  }
  tags = std::move(result);
}

/// Webhook fields and the scopes that unlock them (Instagram API with
/// Instagram Login, DESIGN §9 and Meta's "webhook fields and permissions"):
/// a field whose scope is not requested would be refused by Meta when
/// subscribing, so it is refused here first.
struct field_scope {
  const char* field;
  const char* scope;
};
constexpr field_scope field_scopes[] = {
  {"comments", "instagram_business_manage_comments"},
  {"live_comments", "instagram_business_manage_comments"},
  {"mentions", "instagram_business_manage_comments"},
  {"message_echoes", "instagram_business_manage_messages"},
  {"message_reactions", "instagram_business_manage_messages"},
  {"messages", "instagram_business_manage_messages"},
  {"messaging_handover", "instagram_business_manage_messages"},
  {"messaging_optins", "instagram_business_manage_messages"},
  {"messaging_policy_enforcement", "instagram_business_manage_messages"},
  {"messaging_postbacks", "instagram_business_manage_messages"},
  {"messaging_referral", "instagram_business_manage_messages"},
  {"messaging_seen", "instagram_business_manage_messages"},
  {"response_feedback", "instagram_business_manage_messages"},
  {"standby", "instagram_business_manage_messages"},
  {"story_insights", "instagram_business_manage_insights"},
};

bool graph_version_ok(const std::string& v) {
  if (v.empty()) {
    return true;
  }
  auto dot = v.find('.');
  if (v.size() < 4 || v[0] != 'v' || dot == std::string::npos || dot < 2 || dot + 1 == v.size()) {
    return false;
  }
  for (std::size_t i = 1; i < v.size(); ++i) {
    if (i != dot && (v[i] < '0' || v[i] > '9')) {
      return false;
    }
  }
  return true;
}

void check_graph_settings(const config::instagram_section& ig, problems& out) {
  if (!graph_version_ok(ig.graph_version)) {
    out.push_back({"instagram.graph_version", "must look like v23.0, or be empty"});
  }
  if (ig.dialect != "graph") {
    return;
  }
  auto has = [&](const std::string& scope) {
    return std::find(ig.scopes.begin(), ig.scopes.end(), scope) != ig.scopes.end();
  };
  if (!has("instagram_business_basic")) {
    out.push_back({"instagram.scopes", "must include instagram_business_basic"});
  }
  for (const auto& field : ig.webhook_fields) {
    const field_scope* known = nullptr;
    for (const auto& fs : field_scopes) {
      known = field == fs.field ? &fs : known;
    }
    if (known == nullptr) {
      out.push_back({"instagram.webhook_fields", "'" + field + "' is not an Instagram webhook field"});
    } else if (!has(known->scope)) {
      out.push_back({"instagram.webhook_fields", "'" + field + "' needs the scope "
                                                   + known->scope + " in instagram.scopes"});
    }
  }
}

void default_url(std::string& url, const char* value) {
  if (url.empty()) {
    url = value;
  }
}

/// [server], [admin], [storage], [actors]
void validate_daemon(config& c, problems& out) {
  if (c.server.threads < 1 || c.server.threads > 64) {
    out.push_back({"server.threads", "must be between 1 and 64"});
  }
  require("server.public_url", c.server.public_url, out);
  check_url("server.public_url", c.server.public_url, out);
  if (!c.admin.listen.is_loopback() && c.admin.token_file.empty()) {
    out.push_back({"admin.token_file",
                   "required when admin.listen is not a loopback address"});
  }
  if (c.server.max_connections < 8 || c.server.max_connections > 1000000) {
    out.push_back({"server.max_connections", "must be between 8 and 1000000"});
  }
  if (c.admin.max_connections < 2 || c.admin.max_connections > 100000) {
    out.push_back({"admin.max_connections", "must be between 2 and 100000"});
  }
  require("storage.path", c.storage.path, out);
  if (c.storage.map_size_mb < 1 || c.storage.map_size_mb > (int64_t{1} << 22)) {
    out.push_back({"storage.map_size_mb", "must be between 1 and 4194304"});
  }
  positive("actors.idle_s", c.actors.idle_s, out);
  if (c.actors.max_concurrent_fetches < 1 || c.actors.max_concurrent_fetches > 100000) {
    out.push_back({"actors.max_concurrent_fetches", "must be between 1 and 100000"});
  }
}

/// [instagram]
void validate_instagram(config& c, problems& out) {
  auto& ig = c.instagram;
  one_of("instagram.dialect", ig.dialect, {"graph", "legacy"}, out);
  require("instagram.client_id", ig.client_id, out);
  require("instagram.client_secret_file", ig.client_secret_file, out);
  check_url("instagram.authorize_url", ig.authorize_url, out);
  check_url("instagram.token_url", ig.token_url, out);
  check_url("instagram.graph_url", ig.graph_url, out);
  check_url("instagram.api_url", ig.api_url, out);
  check_url("instagram.facebook_graph_url", ig.facebook_graph_url, out);
  check_graph_settings(ig, out);
  if (ig.dialect == "legacy") {
    default_url(ig.authorize_url, "https://api.instagram.com/oauth/authorize");
    default_url(ig.token_url, "https://api.instagram.com/oauth/access_token");
    default_url(ig.api_url, "https://api.instagram.com/v1");
  } else {
    default_url(ig.authorize_url, "https://www.instagram.com/oauth/authorize");
    default_url(ig.token_url, "https://api.instagram.com/oauth/access_token");
    default_url(ig.graph_url, "https://graph.instagram.com");
    default_url(ig.facebook_graph_url, "https://graph.facebook.com");
  }
  if (ig.app_id.empty()) {
    ig.app_id = ig.client_id;
  }
}

/// [link]
void validate_link(config& c, problems& out) {
  require("link.secret_file", c.link.secret_file, out);
  require("link.success_url", c.link.success_url, out);
  check_url("link.success_url", c.link.success_url, out);
  check_url("link.cancel_url", c.link.cancel_url, out);
  if (c.link.cancel_url.empty()) {
    c.link.cancel_url = c.link.success_url;
  }
  positive("link.ttl_s", c.link.ttl_s, out);
}

/// [import]
void validate_import(config& c, problems& out) {
  auto& im = c.import;
  normalize_tags("import.tags", im.tags, out);
  normalize_tags("import.block", im.block, out);
  if (im.tags.empty()) {
    out.push_back({"import.tags", "must not be empty"});
  }
  positive("import.initial_count", im.initial_count, out);
  positive("import.update_count", im.update_count, out);
  if (im.webhook_delay_s < 0) {
    out.push_back({"import.webhook_delay_s", "must not be negative"});
  }
  positive_list("import.poll_tiers_s", im.poll_tiers_s, out);
  if (im.recheck_s < 0) {
    out.push_back({"import.recheck_s", "must not be negative"});
  }
  if (im.seen_keep < 1) {
    out.push_back({"import.seen_keep", "must be greater than 0"});
  }
  positive("import.backfill_max", im.backfill_max, out);
  if (im.on_untag != "update" && im.on_untag != "delete") {
    out.push_back({"import.on_untag", "must be \"update\" or \"delete\""});
  }
}

/// [sink]
void validate_sink(config& c, problems& out) {
  auto& s = c.sink;
  one_of("sink.type", s.type, {"jsonl", "webhook", "micropub"}, out);
  s.kind = s.type == "webhook"    ? sink_kind::webhook
           : s.type == "micropub" ? sink_kind::micropub
                                  : sink_kind::jsonl;
  switch (s.kind) {
    case sink_kind::jsonl:
      require("sink.path", s.path, out);
      break;
    case sink_kind::webhook:
      require("sink.url", s.url, out);
      require("sink.secret_file", s.secret_file, out);
      break;
    case sink_kind::micropub:
      require("sink.url", s.url, out);
      require("sink.token_file", s.token_file, out);
      // Account events go to a Standard Webhooks endpoint of the host's,
      // which needs its secret; the two keys come as a pair.
      if (!s.events_url.empty()) {
        require("sink.events_secret_file", s.events_secret_file, out);
      } else if (!s.events_secret_file.empty()) {
        out.push_back({"sink.events_url", "is required when sink.events_secret_file is set"});
      }
      break;
  }
  check_url("sink.url", s.url, out);
  check_url("sink.events_url", s.events_url, out);
  positive_list("sink.retry_schedule_s", s.retry_schedule_s, out);
  positive("sink.concurrency", s.concurrency, out);
  positive("sink.timeout_s", s.timeout_s, out);
  one_of("sink.micropub_syntax", s.micropub_syntax, {"form", "json"}, out);
}

/// [media]
void validate_media(config& c, problems& out) {
  auto& m = c.media;
  if (m.path.empty()) {
    m.path = c.storage.path + "/media";
  }
  if (m.base_url.empty()) {
    m.base_url = c.server.public_url + "/media";
  }
  while (!m.base_url.empty() && m.base_url.back() == '/') {
    m.base_url.pop_back();
  }
  check_url("media.base_url", m.base_url, out);
  if (m.max_bytes < 1024 || m.max_bytes > (int64_t{4} << 30)) {
    out.push_back({"media.max_bytes", "must be between 1024 and 4294967296"});
  }
  positive("media.concurrency", m.concurrency, out);
  positive("media.timeout_s", m.timeout_s, out);
}

/// [log]
void validate_log(config& c, problems& out) {
  one_of("log.level", c.log.level, {"debug", "info", "notice", "warning", "error"}, out);
}

} // namespace

void validate(config& c, problems& out) {
  validate_daemon(c, out);
  validate_instagram(c, out);
  validate_link(c, out);
  validate_import(c, out);
  validate_sink(c, out);
  validate_media(c, out);
  validate_log(c, out);
  validate_cluster(c.cluster, out);
}

void read_secrets(config& c, problems& out) {
  auto read = [&](const char* key, const std::string& path, std::string& value) {
    if (path.empty()) {
      return;
    }
    if (auto content = read_secret(key, path, out)) {
      value = std::move(*content);
    }
  };
  read("admin.token_file", c.admin.token_file, c.admin.token);
  read("instagram.client_secret_file", c.instagram.client_secret_file,
       c.instagram.client_secret);
  read("instagram.meta_app_secret_file", c.instagram.meta_app_secret_file,
       c.instagram.meta_app_secret);
  read("instagram.verify_token_file", c.instagram.verify_token_file,
       c.instagram.verify_token);
  c.instagram.extra_webhook_secrets.clear();
  for (const auto& path : c.instagram.extra_webhook_secret_files) {
    std::string secret;
    read("instagram.extra_webhook_secret_files", path, secret);
    if (!secret.empty()) {
      c.instagram.extra_webhook_secrets.push_back(std::move(secret));
    }
  }
  read("link.secret_file", c.link.secret_file, c.link.secret);
  // Only the active sink's secrets: a leftover path of another sink type
  // must not stop the daemon.
  if (c.sink.kind == sink_kind::webhook) {
    c.sink.secrets = read_webhook_secrets("sink.secret_file", c.sink.secret_file, out);
  } else if (c.sink.kind == sink_kind::micropub) {
    read("sink.token_file", c.sink.token_file, c.sink.token);
    if (!c.sink.events_url.empty()) {
      c.sink.events_secrets =
        read_webhook_secrets("sink.events_secret_file", c.sink.events_secret_file, out);
    }
  }
  if (!c.storage.key_file.empty()) {
    std::string content;
    read("storage.key_file", c.storage.key_file, content);
    if (!content.empty()) {
      if (auto key = decode_storage_key(content)) {
        c.storage.key = std::move(*key);
      } else {
        out.push_back({"storage.key_file",
                       "must hold a 32-byte key: 32 raw bytes, 64 hex characters or base64"});
      }
    } else if (out.empty() || out.back().key != "storage.key_file") {
      out.push_back({"storage.key_file", "is empty"});
    }
  }
  read_cluster_files(c.cluster, out);
}

} // namespace igbridge::config_detail
