// `igbridge sink test`: one `test` event through the configured sink, the
// way the daemon would send it (DESIGN §9), and the answer printed, so a
// host's developer sees at once whether events reach the app and, when
// they do not, which key to fix. JSONL: a line appended to sink.path.
// Standard Webhooks: a signed POST to sink.url. Micropub: a test entry
// would be published as a post, so the endpoint and token are checked with
// `q=config`, and the test event goes where account events go
// (sink.events_url, when set).

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/blocking_http.hpp"
#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "delivery/fd_write.hpp"
#include "igbridge/clock.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/sink_format.hpp"

namespace igbridge {

namespace {

/// The answer's body as the host wrote it, cut to what a terminal shows.
void print_answer(const http_response& r) {
  constexpr std::size_t shown = 4096;
  std::cout << "HTTP " << r.status << "\n";
  if (!r.body.empty()) {
    std::cout << r.body.substr(0, shown) << (r.body.size() > shown ? "\n[…]" : "") << "\n";
  }
}

/// Prints a failed exchange's cause with the key to fix; false.
bool refused(const std::string& what, const http_response& r, const char* url_key,
             const char* secret_key, const char* secret_hint) {
  std::cout.flush(); // the answer first, then why it failed
  if (r.status == 0) {
    std::cerr << url_key << ": " << what << " did not answer: " << r.error << "\n";
  } else if (r.status == 401 || r.status == 403) {
    std::cerr << secret_key << ": " << what << " refused it (HTTP " << r.status << "): "
              << secret_hint << "\n";
  } else if (r.status == 410) {
    std::cerr << url_key << ": " << what << " answered 410 Gone: the daemon holds every "
              << "delivery to this URL until it changes\n";
  } else if (r.status == 404 || r.status == 405) {
    std::cerr << url_key << ": " << what << " has no such endpoint (HTTP " << r.status
              << ")\n";
  } else if (r.status >= 500) {
    std::cerr << url_key << ": " << what << " failed (HTTP " << r.status
              << "): see the host app's log; the daemon would retry\n";
  } else {
    std::cerr << url_key << ": " << what << " refused the event (HTTP " << r.status << ")\n";
  }
  return false;
}

/// POSTs `e` to a Standard Webhooks endpoint; true on 2xx.
bool send_signed(const config& cfg, const std::string& url, const std::vector<std::string>& secrets,
                 const outbox_entry& e, int64_t now, const char* url_key,
                 const char* secret_key) {
  std::cout << "POST " << url << " (event " << e.id << ", signed with " << secrets.size()
            << (secrets.size() == 1 ? " secret" : " secrets") << ")\n";
  auto r = blocking_send(webhook_request(url, secrets, e, now),
                         std::chrono::seconds(cfg.sink.timeout_s));
  if (r.status != 0) {
    print_answer(r);
  }
  if (r.status >= 200 && r.status < 300) {
    return true;
  }
  return refused("the endpoint", r, url_key, secret_key,
                 "the host must verify with one of the secrets in this file (Standard "
                 "Webhooks: base64 after whsec_)");
}

bool test_jsonl(const config& cfg, const outbox_entry& e, int64_t now) {
  const auto& path = cfg.sink.path;
  auto line = jsonl_line(e, now);
  // O_APPEND and one write: the line lands whole beside the daemon's own.
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0 || !write_all(fd, line) || ::fsync(fd) != 0) {
    std::cerr << "sink.path: cannot append to " << path << ": " << std::strerror(errno) << "\n";
    if (fd >= 0) {
      ::close(fd);
    }
    return false;
  }
  ::close(fd);
  std::cout << "appended to " << path << ":\n" << line;
  return true;
}

bool test_micropub(const config& cfg, const outbox_entry& e, int64_t now) {
  const auto& s = cfg.sink;
  std::cout << "GET " << s.url << "?q=config (Micropub has no test entry: it would be "
            << "published as a post)\n";
  auto r = blocking_send(micropub_config_request(s.url, s.token),
                         std::chrono::seconds(s.timeout_s));
  if (r.status != 0) {
    print_answer(r);
  }
  bool ok = r.status >= 200 && r.status < 300;
  if (!ok) {
    refused("the Micropub endpoint", r, "sink.url", "sink.token_file",
            "the server must accept this bearer token with the create scope");
  }
  if (s.events_url.empty()) {
    std::cout << "sink.events_url is not set: account events (and this test event) are "
                 "skipped by the Micropub sink\n";
    return ok;
  }
  return send_signed(cfg, s.events_url, s.events_secrets, e, now, "sink.events_url",
                     "sink.events_secret_file")
         && ok;
}

} // namespace

int run_sink_test(const std::string& config_path) {
  config cfg;
  if (!load_or_report(config_path, cfg)) {
    return 1;
  }
  auto now = unix_now();
  outbox_entry e;
  e.type = event_type::test;
  e.id = "test:" + to_hex(random_bytes(8)); // an event id like any other: never repeated
  e.created_at = now;
  e.data = nlohmann::json{{"message", "igbridge sink test: events reach this sink"},
                          {"at", rfc3339(now)}}
             .dump();
  bool ok = false;
  switch (cfg.sink.kind) {
    case sink_kind::jsonl:
      ok = test_jsonl(cfg, e, now);
      break;
    case sink_kind::webhook:
      ok = send_signed(cfg, cfg.sink.url, cfg.sink.secrets, e, now, "sink.url",
                       "sink.secret_file");
      break;
    case sink_kind::micropub:
      ok = test_micropub(cfg, e, now);
      break;
  }
  std::cout << (ok ? "ok" : "FAILED") << "\n";
  return ok ? 0 : 1;
}

} // namespace igbridge
