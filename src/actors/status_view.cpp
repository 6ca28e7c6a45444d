// /metrics and /status: counters from the metrics object, figures read
// from LMDB at request time, and the HTML dashboard drawn from the same
// JSON (self-contained: inline CSS and SVG, no external assets).

#include "status_view.hpp"

#include <algorithm>

#include "igbridge/clock.hpp"
#include "igbridge/metrics.hpp"
#include "igbridge/records.hpp"
#include "responses.hpp"

namespace igbridge {

namespace {

constexpr std::size_t list_limit = 20;
constexpr int chart_hours = 24;

struct store_figures {
  std::map<std::string, std::size_t> users_by_state{
    {"active", 0}, {"reauth_required", 0}, {"unlinked", 0}};
  nlohmann::json attention = nlohmann::json::array();
  std::vector<std::pair<int64_t, std::string>> schedule; // due, user
  std::size_t outbox = 0;
  int64_t oldest_created = 0;
  std::size_t dead = 0;
  nlohmann::json dead_letters = nlohmann::json::array();
  nlohmann::json latest = nlohmann::json::array();
  std::string sink_gone;
  std::size_t used = 0;
  std::size_t map = 0;
};

store_figures read_figures(const context& ctx) {
  store_figures f;
  auto txn = ctx.db->read();
  txn.scan(db::users, "", [&](std::string_view k, std::string_view v) {
    auto r = decode_user(v);
    if (!r) {
      return true;
    }
    ++f.users_by_state[r->state];
    if (r->state == "active") {
      auto due = r->next_fetch_at;
      if (auto hv = txn.get(db::hints, k)) {
        if (auto h = decode_hint(*hv)) {
          due = due == 0 ? h->due_at : std::min(due, h->due_at);
        }
      }
      if (due != 0) {
        f.schedule.emplace_back(due, r->user);
      }
    }
    if ((r->state == "reauth_required" || !r->last_error.empty())
        && f.attention.size() < list_limit && r->state != "unlinked") {
      f.attention.push_back(public_view(*r));
    }
    return true;
  });
  std::sort(f.schedule.begin(), f.schedule.end());
  f.outbox = txn.count(db::outbox);
  txn.scan(db::outbox, "", [&](std::string_view, std::string_view v) {
    if (auto e = decode_outbox(v)) {
      f.oldest_created = e->created_at;
    }
    return false;
  });
  f.dead = txn.count(db::dead);
  txn.scan(db::dead, "", [&](std::string_view, std::string_view v) {
    if (auto e = decode_outbox(v)) {
      f.dead_letters.push_back(public_view(*e));
    }
    return f.dead_letters.size() < list_limit;
  });
  if (auto v = txn.get(db::meta, "recent_imports")) {
    auto j = nlohmann::json::parse(*v, nullptr, false);
    if (j.is_array()) {
      f.latest = std::move(j);
    }
  }
  if (auto v = txn.get(db::meta, "sink_gone")) {
    f.sink_gone = *v;
  }
  auto [used, map] = ctx.db->usage();
  f.used = used;
  f.map = map;
  return f;
}

nlohmann::json series(const metrics& m, const char* name, const metric_labels& labels) {
  return m.recent(name, labels, chart_hours);
}

// -- HTML pieces ---------------------------------------------------------------

std::string text_of(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) {
    return "";
  }
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

/// A bar chart of hourly counts, oldest left; plain SVG, no script.
std::string svg_bars(const nlohmann::json& values, const char* color, const char* label) {
  double max = 1;
  for (auto& v : values) {
    max = std::max(max, v.get<double>());
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
  for (auto& v : values) {
    double bh = v.get<double>() / max * (h - 14);
    char rect[256];
    std::snprintf(rect, sizeof rect,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                  "<title>%ld</title></rect>",
                  pad + i * bw + 1, h - bh, std::max(bw - 2, 1.0), bh, color,
                  static_cast<long>(v.get<double>()));
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

std::string render_metrics(const context& ctx) {
  auto f = read_figures(ctx);
  auto now = ctx.now();
  metrics& m = *ctx.stats;
  for (auto& [state, n] : f.users_by_state) {
    m.set("igbridge_users", {{"state", state}}, static_cast<double>(n));
  }
  m.set("igbridge_outbox_depth", {}, static_cast<double>(f.outbox));
  m.set("igbridge_outbox_oldest_age_seconds", {},
        f.oldest_created ? static_cast<double>(now - f.oldest_created) : 0.0);
  m.set("igbridge_dead_letters", {}, static_cast<double>(f.dead));
  m.set("igbridge_scheduled_fetches", {}, static_cast<double>(f.schedule.size()));
  m.set("igbridge_lmdb_used_bytes", {}, static_cast<double>(f.used));
  m.set("igbridge_lmdb_map_size_bytes", {}, static_cast<double>(f.map));
  auto throttle = ctx.throttle_until.load();
  m.set("igbridge_provider_throttled", {}, throttle > now ? 1.0 : 0.0);
  m.set("igbridge_provider_throttle_remaining_seconds", {},
        throttle > now ? static_cast<double>(throttle - now) : 0.0);
  m.set("igbridge_sink_gone", {}, f.sink_gone.empty() ? 0.0 : 1.0);
  m.set("igbridge_uptime_seconds", {}, static_cast<double>(now - ctx.started_at));
  m.set("igbridge_build_info", {{"version", "0.1.0"}, {"dialect", ctx.cfg.instagram.dialect}}, 1);
  return m.render();
}

nlohmann::json status_json(const context& ctx) {
  auto f = read_figures(ctx);
  auto now = ctx.now();
  const metrics& m = *ctx.stats;
  nlohmann::json users = nlohmann::json::object();
  for (auto& [state, n] : f.users_by_state) {
    users[state] = n;
  }
  nlohmann::json schedule = nlohmann::json::array();
  for (std::size_t i = 0; i < f.schedule.size() && i < list_limit; ++i) {
    schedule.push_back({{"user", f.schedule[i].second}, {"due_at", rfc3339(f.schedule[i].first)}});
  }
  auto count = [&](const char* name, const metric_labels& labels) {
    return m.value(name, labels);
  };
  auto throttle = ctx.throttle_until.load();
  return {
    {"version", "0.1.0"},
    {"dialect", ctx.cfg.instagram.dialect},
    {"time", rfc3339(now)},
    {"started_at", rfc3339(ctx.started_at)},
    {"users", users},
    {"attention", f.attention},
    {"outbox",
     {{"pending", f.outbox},
      {"oldest_age_s", f.oldest_created ? now - f.oldest_created : 0},
      {"dead", f.dead}}},
    {"sink",
     {{"type", ctx.cfg.sink.type}, {"gone", !f.sink_gone.empty()}}},
    {"dead_letters", f.dead_letters},
    {"latest_imports", f.latest},
    {"schedule", schedule},
    {"scheduled_fetches", f.schedule.size()},
    {"provider", {{"throttled", throttle > now},
                  {"throttled_until", throttle > now ? nlohmann::json(rfc3339(throttle))
                                                     : nlohmann::json(nullptr)}}},
    {"totals",
     {{"imported", count("igbridge_media_total", {{"result", "imported"}})},
      {"skipped_untagged", count("igbridge_media_total", {{"result", "untagged"}})},
      {"skipped_blocked", count("igbridge_media_total", {{"result", "blocked"}})},
      {"duplicates", count("igbridge_media_total", {{"result", "duplicate"}})},
      {"fetches_ok", count("igbridge_fetches_total", {{"outcome", "ok"}})},
      {"delivered", count("igbridge_deliveries_total", {{"outcome", "delivered"}})},
      {"webhook_updates", count("igbridge_webhook_updates_total", {{"result", "accepted"}})},
      {"webhook_rejected",
       count("igbridge_webhook_updates_total", {{"result", "bad_signature"}})
         + count("igbridge_webhook_updates_total", {{"result", "missing_signature"}})
         + count("igbridge_webhook_updates_total", {{"result", "malformed"}})}}},
    {"charts",
     {{"hours", chart_hours},
      {"imports", series(m, "igbridge_media_total", {{"result", "imported"}})},
      {"webhooks", series(m, "igbridge_webhook_updates_total", {{"result", "accepted"}})}}},
  };
}

std::string status_html(const context& ctx, const nlohmann::json& s) {
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
  h += "<header><strong>igbridge</strong> <small>" + html_escape(text_of(s, "version")) + " · "
       + html_escape(text_of(s, "dialect")) + " dialect · " + html_escape(text_of(s, "time"))
       + "</small></header><main>";

  const auto& users = s["users"];
  const auto& totals = s["totals"];
  auto num = [](const nlohmann::json& j) { return std::to_string(j.get<long long>()); };
  auto numd = [](const nlohmann::json& j) {
    return std::to_string(static_cast<long long>(j.get<double>()));
  };
  h += "<div class=\"cards\">";
  h += card("active users", num(users["active"]));
  h += card("need re-linking", num(users["reauth_required"]),
            users["reauth_required"].get<long long>() > 0 ? "warn" : "");
  h += card("imported (since start)", numd(totals["imported"]));
  h += card("delivered (since start)", numd(totals["delivered"]));
  h += card("outbox pending", num(s["outbox"]["pending"]));
  h += card("dead letters", num(s["outbox"]["dead"]),
            s["outbox"]["dead"].get<long long>() > 0 ? "bad" : "");
  h += card("webhooks accepted", numd(totals["webhook_updates"]));
  h += card("webhooks rejected", numd(totals["webhook_rejected"]));
  h += "</div>";
  if (s["sink"]["gone"].get<bool>()) {
    h += "<p class=\"bad\"><strong>The sink endpoint answered 410 Gone: deliveries are held."
         "</strong></p>";
  }
  if (s["provider"]["throttled"].get<bool>()) {
    h += "<p class=\"warn\">Instagram rate limit: fetches held until "
         + html_escape(text_of(s["provider"], "throttled_until")) + ".</p>";
  }

  h += "<h2>Imports and webhooks, last " + std::to_string(chart_hours) + " hours</h2>"
       "<div class=\"charts\"><figure>" + svg_bars(s["charts"]["imports"], "#2a7", "imports per hour")
       + "<figcaption>imports per hour</figcaption></figure><figure>"
       + svg_bars(s["charts"]["webhooks"], "#27a", "webhook updates per hour")
       + "<figcaption>webhook updates per hour</figcaption></figure></div>";

  h += "<h2>Latest imports</h2>";
  if (s["latest_imports"].empty()) {
    h += "<p class=\"muted\">Nothing imported yet.</p>";
  } else {
    h += "<div class=\"imports\">";
    for (auto& rec : s["latest_imports"]) {
      auto thumb = text_of(rec, "thumbnail_url");
      if (thumb.empty()) {
        thumb = text_of(rec, "media_url");
      }
      h += "<div class=\"import\"><a href=\"" + html_escape(safe_url(text_of(rec, "permalink")))
           + "\"><img class=\"thumb\" loading=\"lazy\" alt=\"\" src=\""
           + html_escape(safe_url(thumb))
           + "\"></a><p><strong>" + html_escape(text_of(rec, "user")) + "</strong> "
           + html_escape(text_of(rec, "caption")) + "</p><p class=\"muted\">"
           + html_escape(text_of(rec, "imported_at")) + "</p></div>";
    }
    h += "</div>";
  }

  h += table_section("Users needing attention", s["attention"],
                     {{"user", "user"}, {"state", "state"}, {"username", "username"},
                      {"last error", "last_error"}},
                     "None.");
  h += table_section("Dead letters", s["dead_letters"],
                     {{"id", "id"}, {"record", "record_id"}, {"user", "user"},
                      {"attempts", "attempts"}, {"last error", "last_error"}},
                     "None.",
                     "<p class=\"muted\">Replay with <code>igbridge outbox replay ID</code>.</p>");
  h += table_section("Schedule ahead", s["schedule"], {{"user", "user"}, {"next fetch", "due_at"}},
                     "No fetch scheduled.");
  h += "</main></body></html>";
  return h;
}

} // namespace igbridge
