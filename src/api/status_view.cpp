// /metrics and /status: counters from the metrics object, figures read
// from LMDB at request time, and the HTML dashboard drawn from the same
// JSON (self-contained: inline CSS and SVG, no external assets).

#include "api/status_view.hpp"

#include <algorithm>

#include "igbridge/clock.hpp"
#include "igbridge/cluster/node.hpp"
#include "igbridge/metrics.hpp"
#include "igbridge/records.hpp"
#include "igbridge/store/dashboard.hpp"
#include "igbridge/store/meta.hpp"
#include "igbridge/store/outbox.hpp"
#include "igbridge/store/schedule.hpp"
#include "igbridge/store/users.hpp"
#include "api/responses.hpp"

namespace igbridge {

namespace {

/// Adds every number of `from` into `into`, key by key, nested objects
/// too: the totals of the nodes' figures.
void add_figures(nlohmann::json& into, const nlohmann::json& from) {
  for (auto it = from.begin(); it != from.end(); ++it) {
    if (it->is_number()) {
      into[it.key()] = into.value(it.key(), int64_t{0}) + it->get<int64_t>();
    } else if (it->is_object()) {
      auto& sub = into[it.key()];
      if (!sub.is_object()) {
        sub = nlohmann::json::object();
      }
      add_figures(sub, *it);
    }
  }
}

/// /status's `cluster` (DESIGN §9): every node from the heartbeats, with
/// the leases it holds and its figures, and their totals; `lag.hints`
/// counts hints published and not yet acknowledged by an owner (null while
/// the stream cannot be read), and `lag.shards` has, per shard, that count
/// (its consumer's lag) and the messages of its changelog since the latest
/// snapshot's compaction (what a new owner would replay).
nlohmann::json cluster_json(const cluster::node_view& v) {
  nlohmann::json nodes = nlohmann::json::array();
  // Each node's figures cover the shards it serves, so their sum over the
  // live nodes is the cluster's: users by state, the outbox, dead letters.
  auto totals = nlohmann::json::object();
  for (const auto& m : v.nodes) {
    auto figures = nlohmann::json::parse(m.figures, nullptr, false);
    if (!figures.is_object()) {
      figures = nlohmann::json::object();
    }
    if (m.alive) {
      add_figures(totals, figures);
    }
    nodes.push_back({{"id", m.id}, {"shards", m.shards}, {"alive", m.alive}, {"figures", figures}});
  }
  nlohmann::json shards = nlohmann::json::array();
  for (uint32_t s = 0; s < v.shards; ++s) {
    auto count = [s](const std::vector<int64_t>& by) {
      return s < by.size() ? nlohmann::json(by[s]) : nlohmann::json(nullptr);
    };
    shards.push_back({{"shard", s},
                      {"hints", count(v.hints_by_shard)},
                      {"changelog", count(v.changelog_by_shard)}});
  }
  return {
    {"node", v.node_id},
    {"ready", v.ready(std::chrono::steady_clock::now())},
    {"connected", v.connected},
    {"quorum", v.quorum},
    {"shards", v.shards},
    {"owned", v.owned},
    {"serving", v.serving},
    {"nodes", nodes},
    {"totals", totals},
    {"lag",
     {{"hints", v.hints_pending >= 0 ? nlohmann::json(v.hints_pending) : nlohmann::json(nullptr)},
      {"shards", shards}}},
  };
}

/// /metrics' view of the cluster (DESIGN §9): this node's own figures, as
/// every series here is; Prometheus sums them over the nodes (the shards
/// owned add up to the shard count while every shard has an owner).
template <class Gauge>
void cluster_gauges(const cluster::node_view& v, Gauge& gauge) {
  gauge("igbridge_cluster_ready", "1 while this node takes traffic (connected, NATS quorum)", "",
        v.ready(std::chrono::steady_clock::now()) ? 1.0 : 0.0);
  gauge("igbridge_cluster_connected", "1 while connected to a NATS server", "",
        v.connected ? 1.0 : 0.0);
  gauge("igbridge_cluster_quorum", "1 while this node's heartbeat is stored within the lease TTL",
        "", v.quorum ? 1.0 : 0.0);
  gauge("igbridge_cluster_shards_owned", "Shards whose lease this node holds", "",
        static_cast<double>(v.owned.size()));
  gauge("igbridge_cluster_shards_serving",
        "Shards restored here and running their users (owned, not leaving)", "",
        static_cast<double>(v.serving.size()));
  std::size_t alive = 0;
  for (const auto& m : v.nodes) {
    alive += m.alive ? 1 : 0;
  }
  gauge("igbridge_cluster_nodes_alive", "Nodes with a live heartbeat, seen from this node", "",
        static_cast<double>(alive));
  if (v.hints_pending >= 0) {
    gauge("igbridge_cluster_hints_pending", "Hints published and not yet acknowledged", "",
          static_cast<double>(v.hints_pending));
  }
  // Per shard, from its owner only, so that a sum over the nodes counts
  // each shard once.
  auto per_shard = [&](const char* name, const char* help, const std::vector<int64_t>& by) {
    bool first = true;
    for (auto s : v.serving) {
      if (s < by.size()) {
        gauge(name, help, "{shard=\"" + std::to_string(s) + "\"}", static_cast<double>(by[s]),
              first);
        first = false;
      }
    }
  };
  per_shard("igbridge_cluster_shard_hints_pending",
            "Hints for the shard not yet acknowledged by this node (its consumer's lag)",
            v.hints_by_shard);
  per_shard("igbridge_cluster_shard_changelog_messages",
            "The shard's changelog since its latest snapshot: what a restore replays",
            v.changelog_by_shard);
}

constexpr std::size_t list_limit = 20;
constexpr int chart_hours = 24;

// -- HTML pieces ---------------------------------------------------------------

std::string text_of(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) {
    return "";
  }
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

/// The picture the dashboard shows for an import: the stored copy (a
/// video's thumbnail, else the first file). Instagram's URLs expire, so
/// they are used only when igbridge keeps no media.
std::string dashboard_thumb(const nlohmann::json& rec, bool media_store) {
  auto media = rec.find("media");
  if (media != rec.end() && media->is_array() && !media->empty()) {
    for (const auto& m : *media) {
      if (text_of(m, "type") == "IMAGE") {
        return text_of(m, "url");
      }
    }
    return text_of(media->front(), "url");
  }
  if (media_store) {
    return {};
  }
  auto thumb = text_of(rec, "thumbnail_url");
  return thumb.empty() ? text_of(rec, "media_url") : thumb;
}

/// A bar chart of hourly counts, oldest left; plain SVG, no script.
std::string svg_bars(const std::vector<double>& values, const char* color, const char* label) {
  double max = 1;
  for (auto v : values) {
    max = std::max(max, v);
  }
  const int w = 480, h = 120, pad = 20;
  double bw = static_cast<double>(w - pad) / std::max<std::size_t>(values.size(), 1);
  std::string out = "<svg class=\"chart\" role=\"img\" aria-label=\"" + html_escape(label)
                    + "\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h + pad)
                    + "\" width=\"" + std::to_string(w) + "\" height=\"" + std::to_string(h + pad)
                    + "\">";
  out += "<line x1=\"" + std::to_string(pad) + "\" y1=\"" + std::to_string(h) + "\" x2=\""
         + std::to_string(w) + "\" y2=\"" + std::to_string(h) + "\" stroke=\"#999\"/>";
  out += "<text x=\"0\" y=\"12\" font-size=\"10\" fill=\"#666\">"
         + std::to_string(static_cast<long>(max)) + "</text>";
  std::size_t i = 0;
  for (auto v : values) {
    double bh = v / max * (h - 14);
    char rect[256];
    std::snprintf(rect, sizeof rect,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                  "<title>%ld</title></rect>",
                  pad + i * bw + 1, h - bh, std::max(bw - 2, 1.0), bh, color,
                  static_cast<long>(v));
    out += rect;
    ++i;
  }
  out += "<text x=\"" + std::to_string(pad) + "\" y=\"" + std::to_string(h + 14)
         + "\" font-size=\"10\" fill=\"#666\">-" + std::to_string(chart_hours)
         + " h</text><text x=\"" + std::to_string(w - 24) + "\" y=\"" + std::to_string(h + 14)
         + "\" font-size=\"10\" fill=\"#666\">now</text></svg>";
  return out;
}

/// Provider URLs go into href/src: only http(s), so a hostile value cannot
/// become a javascript: link on the operator's dashboard.
std::string safe_url(const std::string& url) {
  return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0 ? url : std::string("#");
}

/// A titled table of `rows`, one column per (heading, key); `empty` when
/// there are none, `after` below a non-empty table.
std::string table_section(const std::string& title, const nlohmann::json& rows,
                          const std::vector<std::pair<const char*, const char*>>& columns,
                          const char* empty, const char* after = "") {
  std::string h = "<h2>" + html_escape(title) + "</h2>";
  if (rows.empty()) {
    return h + "<p class=\"muted\">" + empty + "</p>";
  }
  h += "<table><tr>";
  for (const auto& [heading, key] : columns) {
    h += std::string("<th>") + heading + "</th>";
  }
  h += "</tr>";
  for (const auto& row : rows) {
    h += "<tr>";
    for (const auto& [heading, key] : columns) {
      h += "<td>" + html_escape(text_of(row, key)) + "</td>";
    }
    h += "</tr>";
  }
  return h + "</table>" + after;
}

std::string card(const std::string& title, const std::string& value, const char* cls = "") {
  return "<div class=\"card " + std::string(cls) + "\"><div class=\"v\">" + html_escape(value)
         + "</div><div class=\"t\">" + html_escape(title) + "</div></div>";
}

} // namespace

std::string node_figures(const context& ctx) {
  auto txn = ctx.db->read();
  nlohmann::json users = nlohmann::json::object();
  for (auto s : all_user_states) {
    users[to_string(s)] = users::count(txn, s);
  }
  return nlohmann::json{{"users", users},
                        {"outbox", outbox::queued(txn)},
                        {"dead_letters", outbox::dead_count(txn)},
                        {"scheduled", schedule::count(txn)}}
    .dump();
}

status_figures read_status(const context& ctx) {
  status_figures f;
  f.dialect = ctx.cfg.instagram.dialect;
  f.sink_type = ctx.cfg.sink.type;
  f.now = ctx.now();
  f.started_at = ctx.started_at;
  if (ctx.cluster_view) {
    f.cluster = cluster_json(*ctx.cluster_view());
  }
  auto txn = ctx.db->read();
  for (auto s : all_user_states) {
    f.users[to_string(s)] = users::count(txn, s);
  }
  for (auto& j : users::attention(txn, list_limit)) {
    f.attention.push_back(std::move(j));
  }
  schedule::each(txn, [&](int64_t at, std::string user) {
    f.schedule.emplace_back(std::move(user), at);
    return f.schedule.size() < list_limit;
  });
  f.scheduled = schedule::count(txn);
  f.outbox = outbox::queued(txn);
  f.oldest_created = outbox::oldest_created(txn);
  f.dead = outbox::dead_count(txn);
  outbox::each(txn, true, [&](const outbox_entry& e) {
    f.dead_letters.push_back(public_view(e));
    return f.dead_letters.size() < list_limit;
  });
  f.held_users = outbox::held_users(txn, list_limit);
  f.latest = dashboard::latest(txn);
  f.sink_gone = !meta::sink_gone(txn).empty();
  f.media_store = ctx.cfg.media.store;
  auto [used, map] = ctx.db->usage();
  f.lmdb_used = used;
  f.lmdb_map = map;
  auto throttle = ctx.throttle_until.load();
  f.throttled_until = throttle > f.now ? throttle : 0;
  const auto& m = ctx.stats;
  f.imported = m.value("igbridge_media_total", {{"result", "imported"}});
  f.skipped_untagged = m.value("igbridge_media_total", {{"result", "untagged"}});
  f.skipped_blocked = m.value("igbridge_media_total", {{"result", "blocked"}});
  f.duplicates = m.value("igbridge_media_total", {{"result", "duplicate"}});
  f.fetches_ok = m.value("igbridge_fetches_total", {{"outcome", "ok"}});
  f.delivered = m.value("igbridge_deliveries_total", {{"outcome", "delivered"}});
  f.webhook_updates = m.value("igbridge_webhook_updates_total", {{"result", "accepted"}});
  f.webhook_rejected = m.value("igbridge_webhook_updates_total", {{"result", "bad_signature"}})
                       + m.value("igbridge_webhook_updates_total", {{"result", "missing_signature"}})
                       + m.value("igbridge_webhook_updates_total", {{"result", "malformed"}});
  f.chart_imports = m.recent("igbridge_media_total", {{"result", "imported"}}, chart_hours);
  f.chart_webhooks = m.recent("igbridge_webhook_updates_total", {{"result", "accepted"}}, chart_hours);
  return f;
}

std::string render_metrics(const context& ctx) {
  auto f = read_status(ctx);
  std::string g;
  auto gauge = [&](const char* name, const char* help, const std::string& labels, double v,
                   bool header = true) {
    if (header) {
      g += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    g += std::string(name) + labels + " " + buf + "\n";
  };
  bool first = true;
  for (auto& [state, n] : f.users) {
    gauge("igbridge_users", "Users by state", "{state=\"" + state + "\"}",
          static_cast<double>(n), first);
    first = false;
  }
  gauge("igbridge_outbox_depth", "Deliveries queued", "", static_cast<double>(f.outbox));
  gauge("igbridge_outbox_oldest_age_seconds", "Age of the oldest queued delivery", "",
        f.oldest_created ? static_cast<double>(f.now - f.oldest_created) : 0.0);
  gauge("igbridge_dead_letters", "Deliveries given up on", "", static_cast<double>(f.dead));
  gauge("igbridge_scheduled_fetches", "Users with a planned wake-up", "",
        static_cast<double>(f.scheduled));
  gauge("igbridge_lmdb_used_bytes", "Bytes of the LMDB map in use", "",
        static_cast<double>(f.lmdb_used));
  gauge("igbridge_lmdb_map_size_bytes", "Size of the LMDB map (it grows when full)", "",
        static_cast<double>(f.lmdb_map));
  gauge("igbridge_provider_throttled", "1 while the app is rate limited", "",
        f.throttled_until ? 1.0 : 0.0);
  gauge("igbridge_provider_throttle_remaining_seconds", "Seconds left of the app's rate limit",
        "", f.throttled_until ? static_cast<double>(f.throttled_until - f.now) : 0.0);
  gauge("igbridge_sink_gone", "1 when the sink answered 410 Gone", "", f.sink_gone ? 1.0 : 0.0);
  gauge("igbridge_uptime_seconds", "Seconds since start", "",
        static_cast<double>(f.now - f.started_at));
  gauge("igbridge_build_info", "Version and dialect",
        "{version=\"" + f.version + "\",dialect=\"" + f.dialect + "\"}", 1);
  if (ctx.cluster_view) {
    cluster_gauges(*ctx.cluster_view(), gauge);
  }
  return ctx.stats.render(g);
}

nlohmann::json status_json(const status_figures& f) {
  nlohmann::json users = nlohmann::json::object();
  for (auto& [state, n] : f.users) {
    users[state] = n;
  }
  nlohmann::json schedule = nlohmann::json::array();
  for (auto& [user, due] : f.schedule) {
    schedule.push_back({{"user", user}, {"due_at", rfc3339(due)}});
  }
  nlohmann::json j = {
    {"version", f.version},
    {"dialect", f.dialect},
    {"time", rfc3339(f.now)},
    {"started_at", rfc3339(f.started_at)},
    {"users", users},
    {"attention", f.attention},
    {"outbox",
     {{"pending", f.outbox},
      {"oldest_age_s", f.oldest_created ? f.now - f.oldest_created : 0},
      {"dead", f.dead}}},
    {"sink", {{"type", f.sink_type}, {"gone", f.sink_gone}}},
    {"dead_letters", f.dead_letters},
    {"held_users", f.held_users},
    {"latest_imports", f.latest},
    {"schedule", schedule},
    {"scheduled_fetches", f.scheduled},
    {"provider", {{"throttled", f.throttled_until != 0},
                  {"throttled_until", f.throttled_until ? nlohmann::json(rfc3339(f.throttled_until))
                                                        : nlohmann::json(nullptr)}}},
    {"storage", {{"used_bytes", f.lmdb_used}, {"map_bytes", f.lmdb_map}}},
    {"totals",
     {{"imported", f.imported},
      {"skipped_untagged", f.skipped_untagged},
      {"skipped_blocked", f.skipped_blocked},
      {"duplicates", f.duplicates},
      {"fetches_ok", f.fetches_ok},
      {"delivered", f.delivered},
      {"webhook_updates", f.webhook_updates},
      {"webhook_rejected", f.webhook_rejected}}},
    {"charts", {{"hours", chart_hours}, {"imports", f.chart_imports}, {"webhooks", f.chart_webhooks}}},
  };
  if (!f.cluster.is_null()) {
    j["cluster"] = f.cluster;
  }
  return j;
}

namespace {

/// The page's head, style and header bar.
std::string page_head(const status_figures& f) {
  std::string h;
  h += "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
       "<meta http-equiv=\"refresh\" content=\"10\"><title>igbridge status</title><style>"
       "body{font-family:system-ui,sans-serif;margin:0;background:#f6f6f4;color:#222}"
       "header{background:#222;color:#fff;padding:12px 24px}header small{color:#aaa}"
       "main{padding:16px 24px;max-width:1100px}h2{font-size:1.05em;margin:24px 0 8px}"
       ".cards{display:flex;flex-wrap:wrap;gap:12px}.card{background:#fff;border-radius:6px;"
       "padding:10px 14px;min-width:120px;box-shadow:0 1px 2px #0002}.card .v{font-size:1.6em}"
       ".card .t{color:#666;font-size:.85em}.warn .v{color:#b35c00}.bad .v{color:#b00020}"
       "table{border-collapse:collapse;background:#fff;width:100%}td,th{padding:6px 8px;"
       "border-bottom:1px solid #eee;text-align:left;font-size:.9em}"
       ".imports{display:flex;flex-wrap:wrap;gap:12px}.import{background:#fff;width:160px;"
       "border-radius:6px;overflow:hidden;box-shadow:0 1px 2px #0002;font-size:.8em}"
       ".import img{width:160px;height:160px;object-fit:cover;display:block;background:#ddd}"
       ".import p{margin:6px}.muted{color:#888}.charts{display:flex;flex-wrap:wrap;gap:24px}"
       "</style></head><body>";
  h += "<header><strong>igbridge</strong> <small>" + html_escape(f.version) + " · "
       + html_escape(f.dialect) + " dialect · " + html_escape(rfc3339(f.now))
       + "</small></header><main>";

  return h;
}

/// The cluster as this node sees it: which node this is, its shards, the
/// live nodes; flagged while the node cannot take traffic.
std::string cluster_line(const nlohmann::json& c) {
  std::size_t alive = 0;
  std::string others;
  for (const auto& n : c["nodes"]) {
    bool up = n["alive"].get<bool>();
    alive += up ? 1 : 0;
    others += (others.empty() ? "" : ", ") + n["id"].get<std::string>() + " "
              + std::to_string(n["shards"].get<int64_t>()) + (up ? "" : " (gone)");
  }
  bool ready = c["ready"].get<bool>();
  int64_t users = 0;
  auto totals = c.find("totals");
  if (totals != c.end() && totals->contains("users")) {
    for (const auto& n : totals->at("users")) {
      users += n.get<int64_t>();
    }
  }
  return std::string("<p class=\"") + (ready ? "" : "bad") + "\">Cluster: "
         + std::to_string(users) + " user(s) on all nodes; node "
         + html_escape(c["node"].get<std::string>()) + " owns "
         + std::to_string(c["owned"].size()) + " of " + std::to_string(c["shards"].get<int64_t>())
         + " shards; " + std::to_string(alive) + " node(s) alive (shards: " + html_escape(others)
         + ")" + (ready ? "" : "; <strong>not ready: it takes no webhooks</strong>") + ".</p>";
}

/// The headline figures as cards, and what holds deliveries or fetches.
std::string figure_cards(const status_figures& f) {
  std::string h;
  auto num = [](double v) { return std::to_string(static_cast<long long>(v)); };
  auto users = [&](const char* state) {
    auto i = f.users.find(state);
    return i == f.users.end() ? int64_t{0} : i->second;
  };
  h += "<div class=\"cards\">";
  h += card("active users", num(static_cast<double>(users("active"))));
  h += card("need re-linking", num(static_cast<double>(users("reauth_required"))),
            users("reauth_required") > 0 ? "warn" : "");
  h += card("imported (since start)", num(f.imported));
  h += card("delivered (since start)", num(f.delivered));
  h += card("outbox pending", num(static_cast<double>(f.outbox)));
  h += card("dead letters", num(static_cast<double>(f.dead)), f.dead > 0 ? "bad" : "");
  h += card("webhooks accepted", num(f.webhook_updates));
  h += card("webhooks rejected", num(f.webhook_rejected));
  h += "</div>";
  if (f.sink_gone) {
    h += "<p class=\"bad\"><strong>The sink endpoint answered 410 Gone: deliveries are held."
         "</strong></p>";
  }
  if (f.throttled_until != 0) {
    h += "<p class=\"warn\">Instagram rate limit: fetches held until "
         + html_escape(rfc3339(f.throttled_until)) + ".</p>";
  }
  if (!f.cluster.is_null()) {
    h += cluster_line(f.cluster);
  }
  return h;
}

/// The last hours' imports and webhooks.
std::string charts(const status_figures& f) {
  std::string h;
  h += "<h2>Imports and webhooks, last " + std::to_string(chart_hours) + " hours</h2>"
       "<div class=\"charts\"><figure>" + svg_bars(f.chart_imports, "#2a7", "imports per hour")
       + "<figcaption>imports per hour</figcaption></figure><figure>"
       + svg_bars(f.chart_webhooks, "#27a", "webhook updates per hour")
       + "<figcaption>webhook updates per hour</figcaption></figure></div>";

  return h;
}

/// The newest imports with their stored thumbnails.
std::string latest_imports(const status_figures& f) {
  std::string h;
  h += "<h2>Latest imports</h2>";
  if (f.latest.empty()) {
    h += "<p class=\"muted\">Nothing imported yet.</p>";
  } else {
    h += "<div class=\"imports\">";
    for (auto& rec : f.latest) {
      auto thumb = dashboard_thumb(rec, f.media_store);
      auto picture = thumb.empty()
                       ? std::string("<span class=\"thumb pending\">media on its way</span>")
                       : "<img class=\"thumb\" loading=\"lazy\" alt=\"\" src=\""
                           + html_escape(safe_url(thumb)) + "\">";
      h += "<div class=\"import\"><a href=\"" + html_escape(safe_url(text_of(rec, "permalink")))
           + "\">" + picture + "</a><p><strong>" + html_escape(text_of(rec, "user")) + "</strong> "
           + html_escape(text_of(rec, "caption")) + "</p><p class=\"muted\">"
           + html_escape(text_of(rec, "imported_at")) + "</p></div>";
    }
    h += "</div>";
  }

  return h;
}

/// Users needing attention, dead letters and the schedule ahead.
std::string tables(const status_figures& f) {
  std::string h;
  h += table_section("Users needing attention", f.attention,
                     {{"user", "user"}, {"state", "state"}, {"username", "username"},
                      {"why", "why"}},
                     "None.");
  h += table_section("Dead letters", f.dead_letters,
                     {{"id", "id"}, {"record", "record_id"}, {"user", "user"},
                      {"attempts", "attempts"}, {"last error", "last_error"}},
                     "None.",
                     "<p class=\"muted\">Replay with <code>igbridge outbox replay ID</code>, or "
                     "<code>igbridge outbox drop ID</code>: until then, each dead letter holds "
                     "its user's later events.</p>");
  if (!f.held_users.empty()) {
    nlohmann::json held = nlohmann::json::array();
    for (const auto& u : f.held_users) {
      held.push_back({{"user", u}});
    }
    h += table_section("Users held by a dead letter", held, {{"user", "user"}}, "None.");
  }
  nlohmann::json schedule = nlohmann::json::array();
  for (auto& [user, due] : f.schedule) {
    schedule.push_back({{"user", user}, {"due_at", rfc3339(due)}});
  }
  h += table_section("Schedule ahead", schedule, {{"user", "user"}, {"next fetch", "due_at"}},
                     "No fetch scheduled.");
  return h;
}

} // namespace

std::string status_html(const status_figures& f) {
  return page_head(f) + figure_cards(f) + charts(f) + latest_imports(f) + tables(f)
         + "</main></body></html>";
}

} // namespace igbridge
