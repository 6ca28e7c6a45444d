// `igbridge doctor`: checks a deployment against the provider and itself,
// one line per check (ok / FAIL / skip), each failure with its fix, and
// exits 1 when any failed (DESIGN §9). It asks the same questions an
// operator would, in the order they would: can the daemon read its secrets,
// does Meta accept the app, does Meta send webhooks where we listen, can
// the world reach us, can we write our state, does the host app answer.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/blocking_http.hpp"
#include "cli/commands.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/provider.hpp"
#include "igbridge/subscriptions.hpp"

namespace igbridge {

namespace {

constexpr auto probe_timeout = std::chrono::seconds{10};

/// Collects and prints the lines; remembers whether anything failed.
class report {
public:
  void ok(const std::string& check, const std::string& what) { line("ok  ", check, what, {}); }
  void skip(const std::string& check, const std::string& why) { line("skip", check, why, {}); }
  void fail(const std::string& check, const std::string& what, const std::string& fix) {
    failed_ = true;
    line("FAIL", check, what, fix);
  }
  bool failed() const { return failed_; }

private:
  static void line(const char* mark, const std::string& check, const std::string& what,
                   const std::string& fix) {
    std::cout << mark << "  " << check;
    for (auto n = check.size(); n < 14; ++n) {
      std::cout << ' ';
    }
    std::cout << what;
    if (!fix.empty()) {
      std::cout << "\n" << std::string(20, ' ') << "fix: " << fix;
    }
    std::cout << "\n";
  }
  bool failed_ = false;
};

bool is_secret_key(const std::string& key) {
  return key.size() > 5 && (key.compare(key.size() - 5, 5, "_file") == 0
                            || key.compare(key.size() - 6, 6, "_files") == 0);
}

/// The answer's error message, short and free of credentials.
std::string why(const http_response& r) {
  if (r.status == 0) {
    return "no answer: " + r.error;
  }
  auto e = classify(r);
  return "HTTP " + std::to_string(r.status) + (e ? " (" + e.message + ")" : std::string());
}

// -- the checks -----------------------------------------------------------------

void check_secrets(report& out, const std::vector<config_problem>& problems) {
  bool any = false;
  for (const auto& p : problems) {
    if (is_secret_key(p.key)) {
      any = true;
      out.fail("secrets", p.key + ": " + p.message,
               "write the secret to that file, readable by the user igbridge runs as "
               "(under systemd: a LoadCredential= line and ${CREDENTIALS_DIRECTORY})");
    }
  }
  if (!any) {
    out.ok("secrets", "every configured secret file is readable");
  }
}

/// Meta's app access token, then whether the app's subscription matches.
void check_meta_app(report& out, const config& cfg) {
  const auto& ig = cfg.instagram;
  if (dialect_of(cfg) != dialect::graph) {
    out.skip("meta-app", "legacy dialect: no Meta app token");
    out.skip("subscription", "legacy dialect");
    return;
  }
  if (ig.meta_app_secret.empty()) {
    if (ig.webhook_fields.empty()) {
      out.skip("meta-app", "no instagram.meta_app_secret_file and no webhook fields: polling only");
      out.skip("subscription", "no webhook fields configured");
    } else {
      out.fail("meta-app", "webhook fields are configured but instagram.meta_app_secret_file is not",
               "set instagram.meta_app_secret_file to a file holding the Meta App Secret "
               "(App settings > Basic); the app token is {app_id}|{Meta App Secret}");
      out.skip("subscription", "needs the Meta app token");
    }
    return;
  }
  auto r = blocking_send(subscription_list_request(cfg), probe_timeout);
  if (r.status != 200) {
    out.fail("meta-app", "Meta refused the app access token for app " + ig.app_id + ": " + why(r),
             "instagram.app_id must be the Meta App ID and instagram.meta_app_secret_file hold "
             "its App Secret (App settings > Basic), not the Instagram app's pair");
    out.skip("subscription", "needs the Meta app token");
    return;
  }
  out.ok("meta-app", "Meta accepts the app access token of app " + ig.app_id);
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  const nlohmann::json* sub = nullptr;
  if (body.is_object() && body.contains("data") && body["data"].is_array()) {
    for (const auto& s : body["data"]) {
      if (s.is_object() && s.value("object", "") == "instagram") {
        sub = &s;
      }
    }
  }
  auto callback = webhook_callback_url(cfg);
  if (ig.webhook_fields.empty()) {
    if (sub == nullptr) {
      out.skip("subscription", "no webhook fields configured and no subscription: polling only");
    } else {
      out.ok("subscription", "a subscription exists; no webhook fields are configured, so any "
                             "notification only makes a fetch sooner");
    }
    return;
  }
  const auto fix = std::string("run `igbridge subscriptions create -c FILE` while the daemon "
                               "runs (Meta verifies ") + callback + ")";
  if (sub == nullptr) {
    return out.fail("subscription", "the app has no subscription to the instagram object", fix);
  }
  if (sub->value("callback_url", "") != callback) {
    return out.fail("subscription",
                    "Meta sends webhooks to " + sub->value("callback_url", std::string("?"))
                      + ", not " + callback,
                    fix);
  }
  std::vector<std::string> missing;
  for (const auto& f : ig.webhook_fields) {
    bool found = false;
    if (sub->contains("fields") && (*sub)["fields"].is_array()) {
      for (const auto& g : (*sub)["fields"]) {
        found = found || (g.is_object() && g.value("name", "") == f) || (g.is_string() && g == f);
      }
    }
    if (!found) {
      missing.push_back(f);
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) {
      list += list.empty() ? m : ", " + m;
    }
    return out.fail("subscription", "subscribed without the fields " + list, fix);
  }
  out.ok("subscription", callback + " with every configured field");
}

void check_public_url(report& out, const config& cfg) {
  http_request req;
  req.url = cfg.server.public_url + "/livez";
  auto r = blocking_send(req, probe_timeout);
  if (r.status == 200) {
    return out.ok("public-url", req.url + " answers");
  }
  out.fail("public-url", req.url + " does not answer 200: " + why(r),
           "server.public_url must be the address Meta and browsers reach (the TLS proxy in "
           "front of server.listen); check the proxy, DNS and firewall, and that the daemon runs");
}

/// Creates `dir` if missing and a probe file in it. "" when writable.
std::string probe_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return "cannot create " + dir + ": " + ec.message();
  }
  auto probe = dir + "/.doctor-" + to_hex(random_bytes(4));
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return "cannot write in " + dir + ": " + std::strerror(errno);
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return {};
}

void check_dir(report& out, const char* check, const char* key, const std::string& dir) {
  auto problem = probe_dir(dir);
  if (!problem.empty()) {
    return out.fail(check, problem,
                    std::string("make ") + key + " a directory the service's user can write "
                      "(the unit's StateDirectory=igbridge is /var/lib/igbridge)");
  }
  if (::geteuid() == 0) {
    // Root writes anywhere: what matters is the service's own user, which
    // under DynamicUser= exists only while it runs.
    return out.ok(check, dir + " is writable by root; cannot tell for the service's own user");
  }
  out.ok(check, dir + " is writable");
}

void check_sink(report& out, const config& cfg) {
  const auto& s = cfg.sink;
  if (s.kind == sink_kind::jsonl) {
    auto dir = std::filesystem::path(s.path).parent_path().string();
    if (auto problem = probe_dir(dir.empty() ? "." : dir); !problem.empty()) {
      return out.fail("sink", problem, "sink.path must be in a directory the service can write");
    }
    int fd = ::open(s.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
      return out.fail("sink", "cannot append to " + s.path + ": " + std::strerror(errno),
                      "sink.path must be a file the service can append to");
    }
    ::close(fd);
    return out.ok("sink", "JSONL file " + s.path + " is writable");
  }
  http_request req;
  if (s.kind == sink_kind::micropub) {
    req.url = s.url + (s.url.find('?') == std::string::npos ? "?" : "&") + "q=config";
    req.headers.emplace_back("Authorization", "Bearer " + s.token);
    req.headers.emplace_back("Accept", "application/json");
    auto r = blocking_send(req, probe_timeout);
    if (r.status == 200) {
      return out.ok("sink", "Micropub " + s.url + " answers q=config to the token");
    }
    if (r.status == 401 || r.status == 403) {
      return out.fail("sink", "Micropub " + s.url + " refused the token: HTTP "
                                + std::to_string(r.status),
                      "sink.token_file must hold a token the Micropub server accepts (scope create)");
    }
    return out.fail("sink", "Micropub " + s.url + " ?q=config: " + why(r),
                    "check sink.url and that the Micropub server runs");
  }
  // Standard Webhooks: a plain GET tells whether anything answers there;
  // only a signed POST would be a delivery, and doctor delivers nothing.
  req.url = s.url;
  auto r = blocking_send(req, probe_timeout);
  if (r.status == 0 || r.status >= 500) {
    return out.fail("sink", "webhook endpoint " + s.url + ": " + why(r),
                    "check sink.url and that the host app runs");
  }
  out.ok("sink", "webhook endpoint " + s.url + " answers (HTTP " + std::to_string(r.status) + ")");
}

} // namespace

int run_doctor(const std::string& config_path) {
  config cfg;
  auto problems = load_config(config_path, cfg);
  report out;
  bool config_ok = true;
  for (const auto& p : problems) {
    if (!is_secret_key(p.key)) {
      config_ok = false;
      out.fail("config", p.key + ": " + p.message, "`igbridge check-config -c FILE` lists them all");
    }
  }
  if (config_ok) {
    out.ok("config", config_path + " is valid");
  }
  check_secrets(out, problems);
  check_meta_app(out, cfg);
  check_public_url(out, cfg);
  check_dir(out, "state-dir", "storage.path", cfg.storage.path);
  if (cfg.media.store) {
    check_dir(out, "media-dir", "media.path", cfg.media.path);
  } else {
    out.skip("media-dir", "media.store = false");
  }
  check_sink(out, cfg);
  return out.failed() ? 1 : 0;
}

} // namespace igbridge
