#include "igbridge/config.hpp"
#include "igbridge/live_config.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace igbridge;

namespace {

namespace fs = std::filesystem;

/// A private directory of secret files, removed at the end of each test.
struct secrets_dir {
  fs::path dir;
  secrets_dir() {
    std::string tmpl = (fs::temp_directory_path() / "igbridge-config-XXXXXX").string();
    dir = ::mkdtemp(tmpl.data());
    write("client_secret", "app-secret-value\n");
    write("link_secret", "link-secret-value\n");
  }
  ~secrets_dir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string write(const std::string& name, const std::string& content) {
    auto p = dir / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }

  /// The smallest config a daemon can run with.
  std::string minimal(const std::string& extra_instagram = "",
                      const std::string& rest = "") const {
    return "[instagram]\nclient_id = \"123\"\nclient_secret_file = \"" + path("client_secret") +
           "\"\n" + extra_instagram + "\n[link]\nsecret_file = \"" + path("link_secret") +
           "\"\nsuccess_url = \"https://app.example.com/settings/\"\n" + rest;
  }
};

bool has_problem(const std::vector<config_problem>& ps, const std::string& key) {
  for (const auto& p : ps) {
    if (p.key == key) {
      return true;
    }
  }
  return false;
}

std::string dump(const std::vector<config_problem>& ps) {
  std::string s;
  for (const auto& p : ps) {
    s += p.key + ": " + p.message + "\n";
  }
  return s;
}

} // namespace

TEST_CASE("a minimal config is valid and fills defaults", "[config]") {
  secrets_dir d;
  config c;
  auto ps = parse_config(d.minimal(), c);
  INFO(dump(ps));
  REQUIRE(ps.empty());
  CHECK(c.server.listen.host == "127.0.0.1");
  CHECK(c.server.listen.port == 8080);
  CHECK(c.server.public_url == "http://127.0.0.1:8080");
  CHECK(c.server.threads == 2);
  CHECK(c.admin.listen.to_string() == "127.0.0.1:8081");
  CHECK(c.storage.path == "/var/lib/igbridge");
  CHECK(c.storage.key.empty());
  CHECK(c.instagram.dialect == "graph");
  CHECK(c.instagram.client_secret == "app-secret-value");
  CHECK(c.instagram.verify_token.empty());
  CHECK(c.instagram.authorize_url == "https://www.instagram.com/oauth/authorize");
  CHECK(c.instagram.token_url == "https://api.instagram.com/oauth/access_token");
  CHECK(c.instagram.graph_url == "https://graph.instagram.com");
  CHECK(c.instagram.webhook_fields.empty()); // polling only
  CHECK(c.instagram.scopes == std::vector<std::string>{"instagram_business_basic"});
  CHECK(c.instagram.app_id == c.instagram.client_id);
  CHECK(c.instagram.graph_version == "v23.0");
  CHECK(c.instagram.facebook_graph_url == "https://graph.facebook.com");
  CHECK(c.server.max_connections == 1024);
  CHECK(c.admin.max_connections == 64);
  CHECK(c.actors.idle_s == 30);
  CHECK(c.import.recheck_s == 604800);
  CHECK(c.import.seen_keep == 1000);
  CHECK(c.link.secret == "link-secret-value");
  CHECK(c.link.success_url == "https://app.example.com/settings");
  CHECK(c.link.ttl_s == 600);
  CHECK(c.import.tags == std::vector<std::string>{"eatdifferent", "ed"});
  CHECK(c.import.initial_count == 20);
  CHECK(c.import.update_count == 3);
  CHECK(c.import.webhook_delay_s == 120);
  CHECK(c.import.poll);
  CHECK(c.import.poll_tiers_s == std::vector<int64_t>{900, 3600, 21600, 86400});
  CHECK(c.sink.type == "jsonl");
  CHECK(c.sink.retry_schedule_s == std::vector<int64_t>{5, 300, 1800, 7200, 18000, 36000, 36000});
  CHECK(c.sink.concurrency == 8);
  CHECK(c.log.level == "info");
}

TEST_CASE("legacy dialect gets its own endpoints", "[config]") {
  secrets_dir d;
  config c;
  auto ps = parse_config(d.minimal("dialect = \"legacy\"\napi_url = \"http://127.0.0.1:9/v1/\""), c);
  INFO(dump(ps));
  REQUIRE(ps.empty());
  CHECK(c.instagram.authorize_url == "https://api.instagram.com/oauth/authorize");
  CHECK(c.instagram.token_url == "https://api.instagram.com/oauth/access_token");
  CHECK(c.instagram.api_url == "http://127.0.0.1:9/v1");
}

TEST_CASE("every key can be set", "[config]") {
  secrets_dir d;
  auto token = d.write("admin_token", "admintoken\n");
  auto verify = d.write("verify", "verify-me");
  auto extra = d.write("old_secret", "old-app-secret\n");
  auto hook = d.write("hook", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
  std::string text = "[server]\nlisten = \"[::1]:0\"\npublic_url = \"https://ig.example.com/\"\n"
                     "threads = 4\n"
                     "[admin]\nlisten = \"0.0.0.0:9000\"\ntoken_file = \"" + token + "\"\n"
                     "[storage]\npath = \"/tmp/x\"\n"
                     "[import]\ntags = [\"#EatDifferent\", \"Café\"]\nblock = [\"#NoImport\"]\n"
                     "initial_count = 5\nupdate_count = 2\nwebhook_delay_s = 0\npoll = false\n"
                     "poll_tiers_s = [60]\n"
                     "[sink]\ntype = \"webhook\"\nurl = \"https://app.example.com/hook\"\n"
                     "secret_file = \"" + hook + "\"\nretry_schedule_s = [1, 2]\nconcurrency = 2\n"
                     "timeout_s = 5\n"
                     "[log]\nlevel = \"debug\"\n";
  config c;
  auto ps = parse_config(d.minimal("verify_token_file = \"" + verify +
                                       "\"\nextra_webhook_secret_files = [\"" + extra +
                                       "\"]\nwebhook_fields = [\"mentions\"]\n"
                                       "scopes = [\"instagram_business_basic\", "
                                       "\"instagram_business_manage_comments\"]",
                                   text),
                         c);
  INFO(dump(ps));
  REQUIRE(ps.empty());
  CHECK(c.server.listen.host == "::1");
  CHECK(c.server.listen.port == 0);
  CHECK(c.server.listen.is_loopback());
  CHECK(c.server.listen.to_string() == "[::1]:0");
  CHECK(c.server.public_url == "https://ig.example.com");
  CHECK(c.server.threads == 4);
  CHECK_FALSE(c.admin.listen.is_loopback());
  CHECK(c.admin.token == "admintoken");
  CHECK(c.instagram.verify_token == "verify-me");
  CHECK(c.instagram.extra_webhook_secrets == std::vector<std::string>{"old-app-secret"});
  CHECK(c.instagram.webhook_fields == std::vector<std::string>{"mentions"});
  CHECK(c.import.tags == std::vector<std::string>{"eatdifferent", "café"});
  CHECK(c.import.block == std::vector<std::string>{"noimport"});
  CHECK_FALSE(c.import.poll);
  CHECK(c.import.webhook_delay_s == 0);
  CHECK(c.sink.secrets == std::vector<std::string>{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"});
  CHECK(c.sink.retry_schedule_s == std::vector<int64_t>{1, 2});
  CHECK(c.log.level == "debug");
}

TEST_CASE("unknown keys and tables are named", "[config]") {
  secrets_dir d;
  config c;
  auto ps = parse_config(d.minimal("", "[server]\nlistn = \"127.0.0.1:1\"\n[bogus]\nx = 1\n"), c);
  CHECK(has_problem(ps, "server.listn"));
  CHECK(has_problem(ps, "bogus"));
  for (const auto& p : ps) {
    if (p.key == "server.listn") {
      CHECK(p.message == "unknown key");
    }
  }
}

TEST_CASE("unknown keys that are empty or not bare are named as TOML spells them", "[config]") {
  // Found by the config fuzzer: `[""]` was reported under an empty key.
  secrets_dir d;
  config c;
  auto ps = parse_config(
      d.minimal("", "[\"\"]\nx = 1\n[\"a b\"]\n[server]\n\"\" = 1\n\"q\\\"\\\\\\t\" = 2\n"),
      c);
  CHECK(has_problem(ps, "\"\""));
  CHECK(has_problem(ps, "\"a b\""));
  CHECK(has_problem(ps, "server.\"\""));
  CHECK(has_problem(ps, "server.\"q\\\"\\\\\\u0009\""));
  for (const auto& p : ps) {
    CHECK_FALSE(p.key.empty());
  }
}

TEST_CASE("wrong types are named", "[config]") {
  secrets_dir d;
  config c;
  auto ps = parse_config(
      d.minimal("", "[server]\nthreads = \"two\"\n[import]\ntags = [1, 2]\npoll = 1\n"
                    "[sink]\nretry_schedule_s = 5\n"),
      c);
  CHECK(has_problem(ps, "server.threads"));
  CHECK(has_problem(ps, "import.tags"));
  CHECK(has_problem(ps, "import.poll"));
  CHECK(has_problem(ps, "sink.retry_schedule_s"));
  // Top-level keys come before the first table header.
  auto ps2 = parse_config("server = 3\n" + d.minimal(), c);
  CHECK(has_problem(ps2, "server"));
  auto ps3 = parse_config(d.minimal("", "[server]\nlisten = 8080\n"), c);
  CHECK(has_problem(ps3, "server.listen"));
}

TEST_CASE("listen addresses are checked", "[config]") {
  secrets_dir d;
  for (const char* bad : {"127.0.0.1", "example.com:80", "127.0.0.1:65536", "127.0.0.1:-1",
                          "::1:80", "[::1]", "[zz]:80", "1.2.3:80", "127.0.0.1:", ":80"}) {
    config c;
    auto ps = parse_config(d.minimal("", std::string("[server]\nlisten = \"") + bad + "\"\n"), c);
    INFO(bad);
    CHECK(has_problem(ps, "server.listen"));
  }
  for (const char* good : {"0.0.0.0:0", "localhost:65535", "[::]:80", "10.1.2.3:8080"}) {
    config c;
    auto ps = parse_config(d.minimal("", std::string("[admin]\nlisten = \"") + good +
                                             "\"\ntoken_file = \"" + d.path("link_secret") + "\"\n"),
                           c);
    INFO(good << "\n" << dump(ps));
    CHECK(ps.empty());
  }
  config c;
  auto ps = parse_config(d.minimal("", "[admin]\nlisten = \"bad\"\n"), c);
  CHECK(has_problem(ps, "admin.listen"));
}

TEST_CASE("loopback detection", "[config]") {
  CHECK(listen_address{"127.0.0.1", 1}.is_loopback());
  CHECK(listen_address{"127.9.8.7", 1}.is_loopback());
  CHECK(listen_address{"::1", 1}.is_loopback());
  CHECK(listen_address{"localhost", 1}.is_loopback());
  CHECK_FALSE(listen_address{"0.0.0.0", 1}.is_loopback());
  CHECK_FALSE(listen_address{"::", 1}.is_loopback());
  CHECK_FALSE(listen_address{"128.0.0.1", 1}.is_loopback());
}

TEST_CASE("a public admin listener needs a token", "[config]") {
  secrets_dir d;
  config c;
  auto ps = parse_config(d.minimal("", "[admin]\nlisten = \"0.0.0.0:8081\"\n"), c);
  CHECK(has_problem(ps, "admin.token_file"));
}

TEST_CASE("a missing secret file names the key, never the secret", "[config]") {
  secrets_dir d;
  config c;
  std::string text = "[instagram]\nclient_id = \"1\"\nclient_secret_file = \"/nonexistent/x/y\"\n"
                     "[link]\nsecret_file = \"" + d.path("link_secret") +
                     "\"\nsuccess_url = \"https://a.example\"\n";
  auto ps = parse_config(text, c);
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].key == "instagram.client_secret_file");
  CHECK(ps[0].message == "cannot read /nonexistent/x/y: No such file or directory");
  for (const auto& p : ps) {
    CHECK(p.message.find("link-secret-value") == std::string::npos);
  }
}

TEST_CASE("required keys are named", "[config]") {
  config c;
  auto ps = parse_config("", c);
  CHECK(has_problem(ps, "instagram.client_id"));
  CHECK(has_problem(ps, "instagram.client_secret_file"));
  CHECK(has_problem(ps, "link.secret_file"));
  CHECK(has_problem(ps, "link.success_url"));
  secrets_dir d;
  auto webhook = parse_config(d.minimal("", "[sink]\ntype = \"webhook\"\n"), c);
  CHECK(has_problem(webhook, "sink.url"));
  CHECK(has_problem(webhook, "sink.secret_file"));
  auto micropub = parse_config(d.minimal("", "[sink]\ntype = \"micropub\"\n"), c);
  CHECK(has_problem(micropub, "sink.url"));
  CHECK(has_problem(micropub, "sink.token_file"));
}

TEST_CASE("bad values are named", "[config]") {
  secrets_dir d;
  auto check = [&](const std::string& rest, const std::string& key) {
    config c;
    auto ps = parse_config(d.minimal("", rest), c);
    INFO(rest << "\n" << dump(ps));
    CHECK(has_problem(ps, key));
  };
  check("[server]\nthreads = 0\n", "server.threads");
  check("[server]\nthreads = 65\n", "server.threads");
  check("[server]\npublic_url = \"ftp://x\"\n", "server.public_url");
  check("[import]\ninitial_count = 0\n", "import.initial_count");
  check("[import]\npoll_tiers_s = []\n", "import.poll_tiers_s");
  check("[import]\npoll_tiers_s = [60, -1]\n", "import.poll_tiers_s");
  check("[sink]\nretry_schedule_s = []\n", "sink.retry_schedule_s");
  check("[sink]\ntype = \"kafka\"\n", "sink.type");
  check("[sink]\nconcurrency = 0\n", "sink.concurrency");
  check("[log]\nlevel = \"verbose\"\n", "log.level");
  config c;
  auto ps = parse_config(d.minimal("dialect = \"v2\""), c);
  CHECK(has_problem(ps, "instagram.dialect"));
  auto syntax = parse_config("[server\n", c);
  REQUIRE(syntax.size() == 1);
  CHECK(syntax[0].key == "config");
}

TEST_CASE("storage keys: raw, hex, base64 or a problem", "[config]") {
  secrets_dir d;
  std::string raw(32, '\0');
  for (int i = 0; i < 32; ++i) {
    raw[i] = static_cast<char>(i * 7 + 1);
  }
  raw[31] = '\n'; // a raw key may end in a whitespace byte
  auto load = [&](const std::string& content, config& c) {
    auto path = d.write("key", content);
    return parse_config(d.minimal("", "[storage]\nkey_file = \"" + path + "\"\n"), c);
  };
  config c;
  CHECK(load(raw, c).empty());
  CHECK(c.storage.key == raw);
  std::string hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1F\n";
  CHECK(load(hex, c).empty());
  REQUIRE(c.storage.key.size() == 32);
  CHECK(c.storage.key[31] == '\x1f');
  CHECK(load("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", c).empty());
  REQUIRE(c.storage.key.size() == 32);
  CHECK(c.storage.key[1] == '\x01');
  for (const char* bad : {"short", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gIQ==", ""}) {
    config c2;
    auto ps = load(bad, c2);
    INFO(bad);
    CHECK(has_problem(ps, "storage.key_file"));
    CHECK(c2.storage.key.empty());
  }
}

TEST_CASE("$CREDENTIALS_DIRECTORY is expanded in file paths", "[config]") {
  secrets_dir d;
  ::setenv("CREDENTIALS_DIRECTORY", d.dir.c_str(), 1);
  std::string text = "[instagram]\nclient_id = \"1\"\n"
                     "client_secret_file = \"$CREDENTIALS_DIRECTORY/client_secret\"\n"
                     "[link]\nsecret_file = \"${CREDENTIALS_DIRECTORY}/link_secret\"\n"
                     "success_url = \"https://a.example\"\n";
  config c;
  auto ps = parse_config(text, c);
  INFO(dump(ps));
  CHECK(ps.empty());
  CHECK(c.instagram.client_secret == "app-secret-value");
  CHECK(c.link.secret == "link-secret-value");
  ::unsetenv("CREDENTIALS_DIRECTORY");
  auto unset = parse_config(text, c);
  CHECK(has_problem(unset, "instagram.client_secret_file"));
  CHECK(has_problem(unset, "link.secret_file"));
}

TEST_CASE("load_config reads a file", "[config]") {
  secrets_dir d;
  auto path = d.write("igbridge.toml", d.minimal());
  config c;
  auto ps = load_config(path, c);
  INFO(dump(ps));
  CHECK(ps.empty());
  auto missing = load_config(d.path("nope.toml"), c);
  REQUIRE(missing.size() == 1);
  CHECK(missing[0].key == "config");
}

TEST_CASE("webhook fields need their scope", "[config]") {
  secrets_dir d;
  config c;
  auto ps = parse_config(d.minimal("webhook_fields = [\"comments\"]"), c);
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].key == "instagram.webhook_fields");
  CHECK(ps[0].message.find("instagram_business_manage_comments") != std::string::npos);
  ps = parse_config(d.minimal("webhook_fields = [\"coffee\"]"), c);
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].message.find("not an Instagram webhook field") != std::string::npos);
  ps = parse_config(d.minimal("scopes = [\"instagram_business_manage_comments\"]"), c);
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].key == "instagram.scopes");
  ps = parse_config(d.minimal("graph_version = \"23\""), c);
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].key == "instagram.graph_version");
}

TEST_CASE("webhook fields are Meta's list (DESIGN 9)", "[config]") {
  secrets_dir d;
  config c;
  std::string scopes = "scopes = [\"instagram_business_basic\", \"instagram_business_manage_comments\", "
                       "\"instagram_business_manage_messages\", \"instagram_business_manage_insights\"]\n";
  for (const char* f : {"comments", "live_comments", "mentions", "message_echoes",
                        "message_reactions", "messages", "messaging_handover", "messaging_optins",
                        "messaging_policy_enforcement", "messaging_postbacks", "messaging_referral",
                        "messaging_seen", "response_feedback", "standby", "story_insights"}) {
    auto ps = parse_config(d.minimal(scopes + "webhook_fields = [\"" + f + "\"]"), c);
    INFO(f << ": " << dump(ps));
    CHECK(ps.empty());
  }
  auto ps = parse_config(d.minimal(scopes + "webhook_fields = [\"message_edit\"]"), c);
  CHECK(has_problem(ps, "instagram.webhook_fields"));
}

TEST_CASE("the Meta app's secret and the cancel URL (DESIGN 9)", "[config]") {
  secrets_dir d;
  config c;
  auto ps = parse_config(d.minimal(), c);
  INFO(dump(ps));
  REQUIRE(ps.empty());
  CHECK(c.instagram.meta_app_secret.empty()); // optional: existing installs keep starting
  CHECK(c.link.cancel_url == c.link.success_url);

  auto meta = d.write("meta_secret", "meta-secret-value\n");
  ps = parse_config(d.minimal("meta_app_secret_file = \"" + meta + "\"\napp_id = \"999\"",
                              "cancel_url = \"https://app.example.com/cancelled/\"\n"),
                    c);
  INFO(dump(ps));
  REQUIRE(ps.empty());
  CHECK(c.instagram.meta_app_secret == "meta-secret-value");
  CHECK(c.instagram.app_id == "999");
  CHECK(c.link.cancel_url == "https://app.example.com/cancelled");

  ps = parse_config(d.minimal("meta_app_secret_file = \"" + d.path("missing") + "\""), c);
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].key == "instagram.meta_app_secret_file");
  CHECK(ps[0].message.find("meta-secret-value") == std::string::npos);
  ps = parse_config(d.minimal("", "cancel_url = \"ftp://x\"\n"), c);
  CHECK(has_problem(ps, "link.cancel_url"));
}

TEST_CASE("a reload takes secrets and the log level, nothing else", "[config]") {
  secrets_dir d;
  auto meta = d.write("meta_secret", "meta-1");
  auto path = d.write("igbridge.toml", d.minimal("meta_app_secret_file = \"" + meta + "\""));
  config running;
  REQUIRE(load_config(path, running).empty());
  running.server.threads = 7; // as if the file said so when the daemon started

  // A new secret, a new extra file, another log level, another listener.
  d.write("meta_secret", "meta-2");
  auto extra = d.write("extra", "rotated");
  d.write("igbridge.toml",
          d.minimal("meta_app_secret_file = \"" + meta + "\"\nextra_webhook_secret_files = [\""
                      + extra + "\"]",
                    "[log]\nlevel = \"debug\"\n[server]\nthreads = 3\n"));
  config next;
  auto ps = reload_config(path, running, next);
  INFO(dump(ps));
  REQUIRE(ps.empty());
  CHECK(next.instagram.meta_app_secret == "meta-2");
  CHECK(next.instagram.extra_webhook_secrets == std::vector<std::string>{"rotated"});
  CHECK(next.log.level == "debug");
  CHECK(next.server.threads == 7); // a listener change needs a restart

  // A file that cannot be read: nothing changes, the key is named.
  std::filesystem::remove(meta);
  config untouched;
  untouched.server.threads = 42;
  ps = reload_config(path, running, untouched);
  CHECK(has_problem(ps, "instagram.meta_app_secret_file"));
  CHECK(untouched.server.threads == 42);
}

TEST_CASE("a webhook secret file holds one secret per line", "[config]") {
  secrets_dir d;
  auto sink = [&](const std::string& file) {
    return "[sink]\ntype = \"webhook\"\nurl = \"https://app.example.com/hook\"\n"
           "secret_file = \"" + file + "\"\n";
  };
  config c;
  // Two lines (CRLF, a blank line and spaces are tolerated): both sign.
  auto two = d.write("two", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\r\n\n  whsec_c2Vjb25k \n");
  auto ps = parse_config(d.minimal("", sink(two)), c);
  INFO(dump(ps));
  REQUIRE(ps.empty());
  CHECK(c.sink.secrets ==
        std::vector<std::string>{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2Vjb25k"});
  // One line without a newline, as before.
  auto one = d.write("one", "whsec_c2Vjb25k");
  REQUIRE(parse_config(d.minimal("", sink(one)), c).empty());
  CHECK(c.sink.secrets == std::vector<std::string>{"whsec_c2Vjb25k"});
  // A whsec_ line that is not base64 is named by key and line, not shown.
  auto bad = d.write("bad", "whsec_c2Vjb25k\nwhsec_not*base64!\n");
  ps = parse_config(d.minimal("", sink(bad)), c);
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].key == "sink.secret_file");
  CHECK(ps[0].message.find("line 2") != std::string::npos);
  CHECK(ps[0].message.find("not*base64") == std::string::npos);
  // Only blank lines: empty.
  auto blank = d.write("blank", "\n\n");
  CHECK(has_problem(parse_config(d.minimal("", sink(blank)), c), "sink.secret_file"));
}

TEST_CASE("micropub: account events to sink.events_url with its own secrets", "[config]") {
  secrets_dir d;
  auto token = d.write("token", "mp-token\n");
  auto events = d.write("events", "whsec_c2Vjb25k\nwhsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
  auto micropub = [&](const std::string& more) {
    return "[sink]\ntype = \"micropub\"\nurl = \"https://blog.example/micropub\"\n"
           "token_file = \"" + token + "\"\n" + more;
  };
  config c;
  auto ps = parse_config(d.minimal("", micropub("events_url = \"https://app.example/events/\"\n"
                                                "events_secret_file = \"" + events + "\"\n")),
                         c);
  INFO(dump(ps));
  REQUIRE(ps.empty());
  CHECK(c.sink.events_url == "https://app.example/events");
  CHECK(c.sink.events_secrets.size() == 2);
  // Without events_url nothing is read, and nothing goes there.
  REQUIRE(parse_config(d.minimal("", micropub("")), c).empty());
  CHECK(c.sink.events_url.empty());
  CHECK(c.sink.events_secrets.empty());
  // The pair is checked.
  ps = parse_config(d.minimal("", micropub("events_url = \"https://app.example/events\"\n")), c);
  CHECK(has_problem(ps, "sink.events_secret_file"));
  ps = parse_config(d.minimal("", micropub("events_secret_file = \"" + events + "\"\n")), c);
  CHECK(has_problem(ps, "sink.events_url"));
  ps = parse_config(d.minimal("", micropub("events_url = \"ftp://x\"\nevents_secret_file = \""
                                           + events + "\"\n")),
                    c);
  CHECK(has_problem(ps, "sink.events_url"));
  ps = parse_config(d.minimal("", micropub("events_url = \"https://app.example/events\"\n"
                                           "events_secret_file = \"" + d.path("none") + "\"\n")),
                    c);
  CHECK(has_problem(ps, "sink.events_secret_file"));
}

TEST_CASE("a reload re-reads the sink's secrets and events secrets", "[config]") {
  secrets_dir d;
  auto token = d.write("token", "mp-1\n");
  auto events = d.write("events", "whsec_c2Vjb25k\n");
  auto path = d.write("igbridge.toml",
                      d.minimal("", "[sink]\ntype = \"micropub\"\nurl = \"https://b.example/mp\"\n"
                                    "token_file = \"" + token + "\"\nevents_url = "
                                    "\"https://app.example/events\"\nevents_secret_file = \""
                                    + events + "\"\n"));
  config running;
  REQUIRE(load_config(path, running).empty());
  d.write("token", "mp-2\n");
  d.write("events", "whsec_c2Vjb25k\nwhsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
  config next;
  auto ps = reload_config(path, running, next);
  INFO(dump(ps));
  REQUIRE(ps.empty());
  CHECK(next.sink.token == "mp-2");
  CHECK(next.sink.events_secrets ==
        std::vector<std::string>{"whsec_c2Vjb25k", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"});

  secrets_dir w;
  auto hook = w.write("hook", "whsec_c2Vjb25k\n");
  path = w.write("igbridge.toml",
                 w.minimal("", "[sink]\ntype = \"webhook\"\nurl = \"https://a.example/h\"\n"
                               "secret_file = \"" + hook + "\"\n"));
  REQUIRE(load_config(path, running).empty());
  w.write("hook", "whsec_c2Vjb25k\nwhsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
  REQUIRE(reload_config(path, running, next).empty());
  CHECK(next.sink.secrets.size() == 2);
}

TEST_CASE("the documented config file parses", "[config]") {
  namespace fs = std::filesystem;
  config c;
  // This file is tests/unit/config/config_test.cpp in the source tree.
  fs::path source_root = fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
  auto path = (source_root / "config" / "igbridge.toml").string();
  REQUIRE(fs::exists(path));
  auto ps = load_config(path, c);
  // Its secret files live under /etc/igbridge and need not exist here;
  // every other key must be valid.
  for (const auto& p : ps) {
    INFO(p.key << ": " << p.message);
    CHECK(p.message.rfind("cannot read", 0) == 0);
  }
}

TEST_CASE("without [cluster] the node runs alone (DESIGN 9)", "[config][cluster]") {
  secrets_dir d;
  config c;
  auto ps = parse_config(d.minimal(), c);
  INFO(dump(ps));
  REQUIRE(ps.empty());
  CHECK_FALSE(c.cluster.enabled);
  CHECK(c.cluster.node_id.empty());
}

TEST_CASE("[cluster] keys, defaults and files (DESIGN 9)", "[config][cluster]") {
  secrets_dir d;
  SECTION("defaults: the host name, 256 shards, 10 s leases, 3 replicas") {
    config c;
    auto ps = parse_config(d.minimal("", "[cluster]\nnats_urls = [\"nats://127.0.0.1:4222\"]\n"), c);
    INFO(dump(ps));
    REQUIRE(ps.empty());
    CHECK(c.cluster.enabled);
    char host[256] = {};
    REQUIRE(::gethostname(host, sizeof host - 1) == 0);
    std::string short_host(host);
    CHECK(c.cluster.node_id == short_host.substr(0, short_host.find('.')));
    CHECK(c.cluster.shards == 256);
    CHECK(c.cluster.lease_ttl_s == 10);
    CHECK(c.cluster.replicas == 3);
    CHECK(c.cluster.nats_creds_path.empty());
  }
  SECTION("every key set; secret files are resolved, never copied") {
    auto creds = d.write("nats.creds", "-----BEGIN NATS USER JWT-----\neyJ0\n------END NATS USER JWT------\n"
                                       "-----BEGIN USER NKEY SEED-----\nSUAX\n------END USER NKEY SEED------\n");
    auto ca = d.write("ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    config c;
    auto ps = parse_config(d.minimal("", "[cluster]\nnats_urls = [\"tls://a:4222\", \"tls://b:4222\"]\n"
                                         "node_id = \"node-2\"\nshards = 16\nlease_ttl_s = 2\n"
                                         "replicas = 1\nnats_creds_file = \"" + creds + "\"\n"
                                         "nats_tls_ca_file = \"" + ca + "\"\n"),
                           c);
    INFO(dump(ps));
    REQUIRE(ps.empty());
    CHECK(c.cluster.nats_urls == std::vector<std::string>{"tls://a:4222", "tls://b:4222"});
    CHECK(c.cluster.node_id == "node-2");
    CHECK(c.cluster.shards == 16);
    CHECK(c.cluster.lease_ttl_s == 2);
    CHECK(c.cluster.replicas == 1);
    CHECK(c.cluster.nats_creds_path == creds);
    CHECK(c.cluster.nats_tls_ca_path == ca);
  }
}

TEST_CASE("[cluster] problems name the key, never a secret (DESIGN 9)", "[config][cluster]") {
  secrets_dir d;
  auto check = [&](const std::string& keys, const std::string& key) {
    config c;
    auto ps = parse_config(d.minimal("", "[cluster]\n" + keys), c);
    INFO(keys << "\n" << dump(ps));
    CHECK(has_problem(ps, key));
    for (const auto& p : ps) {
      CHECK(p.message.find("SUASECRET") == std::string::npos);
    }
  };
  const std::string url = "nats_urls = [\"nats://127.0.0.1:4222\"]\n";
  check("", "cluster.nats_urls");
  check("nats_urls = [\"http://x:4222\"]\n", "cluster.nats_urls");
  check("nats_urls = \"nats://x:4222\"\n", "cluster.nats_urls");
  check(url + "node_id = \"a.b\"\n", "cluster.node_id");
  check(url + "node_id = \"\"\nshards = 0\n", "cluster.shards");
  check(url + "shards = 65537\n", "cluster.shards");
  check(url + "lease_ttl_s = 0\n", "cluster.lease_ttl_s");
  check(url + "replicas = 6\n", "cluster.replicas");
  check(url + "nats_creds_file = \"" + d.path("missing") + "\"\n", "cluster.nats_creds_file");
  auto not_creds = d.write("not.creds", "SUASECRET but no markers\n");
  check(url + "nats_creds_file = \"" + not_creds + "\"\n", "cluster.nats_creds_file");
  check(url + "nats_tls_ca_file = \"" + not_creds + "\"\n", "cluster.nats_tls_ca_file");
  check(url + "sharsd = 3\n", "cluster.sharsd");
}
