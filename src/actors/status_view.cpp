#include "status_view.hpp"

#include "igbridge/clock.hpp"
#include "igbridge/metrics.hpp"
#include "igbridge/records.hpp"
#include "responses.hpp"

namespace igbridge {

namespace {

struct store_figures {
  std::map<std::string, std::size_t> users_by_state{
    {"active", 0}, {"reauth_required", 0}, {"unlinked", 0}};
  std::size_t outbox = 0;
  int64_t oldest_created = 0;
  std::size_t dead = 0;
  std::size_t scheduled = 0;
  std::size_t used = 0;
  std::size_t map = 0;
};

store_figures read_figures(const context& ctx) {
  store_figures f;
  auto txn = ctx.db->read();
  txn.scan(db::users, "", [&](std::string_view, std::string_view v) {
    if (auto r = decode_user(v)) {
      ++f.users_by_state[r->state];
      if (r->state == "active" && r->next_fetch_at != 0) {
        ++f.scheduled;
      }
    }
    return true;
  });
  f.outbox = txn.count(db::outbox);
  txn.scan(db::outbox, "", [&](std::string_view, std::string_view v) {
    if (auto e = decode_outbox(v)) {
      f.oldest_created = e->created_at;
    }
    return false;
  });
  f.dead = txn.count(db::dead);
  auto [used, map] = ctx.db->usage();
  f.used = used;
  f.map = map;
  return f;
}

} // namespace

std::string render_metrics(const context& ctx) {
  auto f = read_figures(ctx);
  auto now = unix_now();
  metrics& m = *ctx.stats;
  for (auto& [state, n] : f.users_by_state) {
    m.set("igbridge_users", {{"state", state}}, static_cast<double>(n));
  }
  m.set("igbridge_outbox_depth", {}, static_cast<double>(f.outbox));
  m.set("igbridge_outbox_oldest_age_seconds", {},
        f.oldest_created ? static_cast<double>(now - f.oldest_created) : 0.0);
  m.set("igbridge_dead_letters", {}, static_cast<double>(f.dead));
  m.set("igbridge_scheduled_fetches", {}, static_cast<double>(f.scheduled));
  m.set("igbridge_lmdb_used_bytes", {}, static_cast<double>(f.used));
  m.set("igbridge_lmdb_map_size_bytes", {}, static_cast<double>(f.map));
  auto throttle = ctx.throttle_until.load();
  m.set("igbridge_provider_throttled", {}, throttle > now ? 1.0 : 0.0);
  m.set("igbridge_build_info", {{"version", "0.1.0"}, {"dialect", ctx.cfg.instagram.dialect}}, 1);
  return m.render();
}

nlohmann::json status_json(const context& ctx) {
  auto f = read_figures(ctx);
  nlohmann::json users = nlohmann::json::object();
  for (auto& [state, n] : f.users_by_state) {
    users[state] = n;
  }
  return {{"version", "0.1.0"},
          {"dialect", ctx.cfg.instagram.dialect},
          {"time", rfc3339(unix_now())},
          {"users", users},
          {"outbox", {{"pending", f.outbox}, {"dead", f.dead}}},
          {"scheduled_fetches", f.scheduled}};
}

std::string status_html(const context& ctx, const nlohmann::json& status) {
  return "<!doctype html><html><head><meta charset=\"utf-8\"><title>igbridge</title></head>"
         "<body><h1>igbridge</h1><pre>"
         + html_escape(status.dump(2)) + "</pre></body></html>";
}

} // namespace igbridge
