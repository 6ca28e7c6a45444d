// seed_users: N linked users for benchmarks and scale tests, without N
// OAuth round trips. It writes, through igbridge's own store code, exactly
// what a finished link leaves in LMDB (user_actor on_link + settle): the
// user record with its token (sealed when storage.key_file is set), the
// ig_index entries of both Instagram ids, the user's schedule entry and the
// users-by-state counter. With --fakegram it first asks fakegram's
// POST /_fake/accounts/bulk for the accounts and their valid tokens, so
// every seeded user can really be fetched; without it the ids and tokens
// are made up (users that must stay idle).
//
// Run it while the daemon is stopped: the running daemon keeps its
// schedule and counters in step with its own writes only.
//
//   seed_users -c igbridge.toml --users 1000000 [--prefix user] [--from 0]
//              [--fakegram http://127.0.0.1:PORT] [--due-in S] [--spread S]
//              [--fetched] [--posts N]
//
// User k of this run (0-based) is app user PREFIX(from+k), Instagram
// account PREFIX(from+k) at fakegram, and is due at
// now + due_in + floor(spread * k / users). Prints one JSON line.

#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "igbridge/clock.hpp"
#include "igbridge/config.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/http_client.hpp"
#include "igbridge/provider.hpp"
#include "igbridge/schedule.hpp"
#include "igbridge/store.hpp"
#include "igbridge/store/users.hpp"

namespace {

using namespace igbridge;

/// One account as the provider would have granted it.
struct grant {
  std::string id;            // professional account id (webhooks carry it)
  std::string app_scoped_id; // graph only
  std::string username;
  std::string token;
  int64_t issued_at = 0;
  int64_t expires_at = 0; // 0: never (legacy)
};

struct options {
  std::string config_path;
  uint64_t users = 0;
  uint64_t from = 0;
  std::string prefix = "user";
  std::string fakegram;
  int64_t due_in = 3600;
  int64_t spread = 0;
  bool fetched = false;
  uint64_t chunk = 10000;
  int posts = 0; // fakegram posts per account
};

http_response blocking_post(const std::string& url, const std::string& body) {
  boost::asio::io_context io;
  http_client_options opts;
  opts.max_body = std::size_t{256} << 20; // a chunk of accounts is a few MB
  http_client client{io, opts};
  http_request req;
  req.method = "POST";
  req.url = url;
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = body;
  http_response out;
  client.send(req,
              [&](http_response r) {
                out = std::move(r);
                io.stop();
              },
              std::chrono::seconds{300});
  io.run();
  return out;
}

std::vector<grant> from_fakegram(const options& o, uint64_t from, uint64_t count) {
  nlohmann::json body{{"prefix", o.prefix}, {"from", from}, {"count", count}};
  if (o.posts > 0) {
    body["posts"] = o.posts;
  }
  auto r = blocking_post(o.fakegram + "/_fake/accounts/bulk", body.dump());
  if (r.status != 200) {
    throw std::runtime_error("fakegram bulk accounts: " + std::to_string(r.status) + " "
                             + r.error + r.body.substr(0, 200));
  }
  auto j = nlohmann::json::parse(r.body);
  std::vector<grant> out;
  for (const auto& a : j.at("accounts")) {
    grant g;
    g.id = a.at("id").get<std::string>();
    g.app_scoped_id = a.at("app_scoped_id").get<std::string>();
    g.username = a.at("username").get<std::string>();
    g.token = a.at("token").get<std::string>();
    g.issued_at = a.at("issued_at").get<int64_t>();
    g.expires_at = a.at("expires_at").is_null() ? 0 : a.at("expires_at").get<int64_t>();
    out.push_back(std::move(g));
  }
  if (out.size() != count) {
    throw std::runtime_error("fakegram answered " + std::to_string(out.size()) + " accounts, not "
                             + std::to_string(count));
  }
  return out;
}

/// Accounts no provider knows: for users that stay idle.
std::vector<grant> made_up(const options& o, dialect d, uint64_t from, uint64_t count,
                           int64_t now) {
  std::vector<grant> out;
  out.reserve(count);
  for (uint64_t i = from; i < from + count; ++i) {
    grant g;
    g.id = std::to_string(27841400000000000ULL + i);
    g.app_scoped_id = d == dialect::graph ? std::to_string(9712345600000000ULL + i) : "";
    g.username = o.prefix + std::to_string(i);
    g.token = "IGAAL" + random_token() + random_token();
    g.issued_at = now;
    g.expires_at = d == dialect::graph ? now + 5184000 : 0;
    out.push_back(std::move(g));
  }
  return out;
}

struct totals {
  uint64_t created = 0;
  uint64_t skipped = 0; // already stored: left alone
  uint64_t growths = 0;
  int64_t first_due = 0;
  int64_t last_due = 0;
};

/// One transaction for a chunk; the map grows and the chunk runs again when
/// it is full.
void write_chunk(store& db, const config& cfg, dialect d, const options& o,
                 const std::vector<grant>& grants, uint64_t first_k, int64_t now, totals& t) {
  const auto& key = cfg.storage.key;
  const auto tiers = cfg.import.poll_tiers_s.size();
  for (;;) {
    uint64_t created = 0;
    uint64_t skipped = 0;
    int64_t first_due = 0;
    int64_t last_due = 0;
    try {
      auto txn = db.write();
      for (std::size_t n = 0; n < grants.size(); ++n) {
        const auto& g = grants[n];
        auto k = first_k + n;
        user_record rec;
        rec.user = o.prefix + std::to_string(o.from + k);
        if (users::exists(txn, rec.user)) {
          ++skipped;
          continue;
        }
        rec.state = user_state::active;
        rec.instagram_user_id = g.id;
        rec.app_scoped_id = d == dialect::graph ? g.app_scoped_id : "";
        rec.username = g.username;
        rec.linked_at = now;
        rec.token = key.empty() ? g.token : seal(key, g.token);
        rec.token_issued_at = g.issued_at;
        rec.token_expires_at = g.expires_at;
        rec.next_fetch_at =
          now + o.due_in
          + static_cast<int64_t>(static_cast<long double>(o.spread) * k / std::max<uint64_t>(o.users, 1));
        rec.refresh_at = d == dialect::graph && g.expires_at != 0
                           ? token_refresh_due(g.issued_at, g.expires_at)
                           : 0;
        if (o.fetched) {
          // As after the link-time fetch of an account with nothing to import.
          rec.initial_fetch_done = true;
          rec.last_fetch_at = now;
          rec.poll_tier = poll_tier(0, tiers);
        }
        // The users module stores the record with everything derived from
        // it: the schedule entry, the Instagram-id index, the counters.
        write_notes none; // no scheduler is listening
        users::store(txn, none, std::nullopt, &rec);
        first_due = first_due == 0 ? rec.next_fetch_at : std::min(first_due, rec.next_fetch_at);
        last_due = std::max(last_due, rec.next_fetch_at);
        ++created;
      }
      txn.commit();
    } catch (const store_full&) {
      db.grow(); // no transaction is open here
      ++t.growths;
      continue;
    }
    t.created += created;
    t.skipped += skipped;
    if (first_due != 0) {
      t.first_due = t.first_due == 0 ? first_due : std::min(t.first_due, first_due);
    }
    t.last_due = std::max(t.last_due, last_due);
    return;
  }
}

int run(const options& o) {
  config cfg;
  auto problems = load_config(o.config_path, cfg);
  for (const auto& p : problems) {
    std::cerr << o.config_path << ": " << p.key << ": " << p.message << "\n";
  }
  if (!problems.empty()) {
    return 1;
  }
  auto d = dialect_of(cfg);
  auto started = std::chrono::steady_clock::now();
  store db(cfg.storage.path, static_cast<std::size_t>(cfg.storage.map_size_mb) << 20);
  auto now = unix_now();
  totals t;
  for (uint64_t k = 0; k < o.users; k += o.chunk) {
    auto count = std::min(o.chunk, o.users - k);
    auto grants = o.fakegram.empty() ? made_up(o, d, o.from + k, count, now)
                                     : from_fakegram(o, o.from + k, count);
    write_chunk(db, cfg, d, o, grants, k, now, t);
  }
  auto secs =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  nlohmann::json out{{"created", t.created},   {"skipped", t.skipped},
                     {"first_due", t.first_due}, {"last_due", t.last_due},
                     {"seconds", secs},          {"map_growths", t.growths},
                     {"map_bytes", db.usage().second}, {"used_bytes", db.usage().first}};
  std::cout << out.dump() << std::endl;
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"Seeds N linked igbridge users (benchmarks); run with the daemon stopped"};
  app.add_option("-c,--config", o.config_path, "igbridge config file")->required();
  app.add_option("--users", o.users, "how many users")->required();
  app.add_option("--from", o.from, "number of the first user (PREFIX<from>)");
  app.add_option("--prefix", o.prefix, "app user ids and fakegram usernames: PREFIX<n>");
  app.add_option("--fakegram", o.fakegram,
                 "fakegram base URL: real accounts and tokens from POST /_fake/accounts/bulk");
  app.add_option("--due-in", o.due_in, "first user's next fetch is this many seconds from now");
  app.add_option("--spread", o.spread, "due times spread evenly over this many seconds");
  app.add_option("--posts", o.posts, "with --fakegram: tagged posts per account (0-10)");
  app.add_flag("--fetched", o.fetched, "as after the link-time fetch (else the first is initial)");
  app.add_option("--chunk", o.chunk, "users per transaction (and per fakegram call)")
    ->check(CLI::Range(1, 100000));
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "seed_users: " << e.what() << std::endl;
    return 1;
  }
}
