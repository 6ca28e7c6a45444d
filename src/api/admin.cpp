// The admin listener's actor: readiness, metrics, status, users, rules and
// dead letters. It is its own actor, so the operator's view never queues
// behind OAuth traffic. Reads go straight to LMDB (any thread may read);
// changes go through the actor that owns the record.

#include <caf/all.hpp>

#include "api/front.hpp"
#include "core/keep_running.hpp"

#include "igbridge/clock.hpp"
#include "igbridge/cluster/node.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/hashtags.hpp"
#include "igbridge/log.hpp"
#include "igbridge/store/inbox.hpp"
#include "igbridge/store/meta.hpp"
#include "igbridge/store/outbox.hpp"
#include "igbridge/store/users.hpp"
#include "igbridge/text.hpp"
#include "api/responses.hpp"
#include "api/status_view.hpp"

namespace igbridge {

namespace {

struct admin_state {
  context_ptr ctx;
  actor_set peers;
  static inline const char* name = "igbridge.admin";
};

using admin_self = route_actor::stateful_pointer<admin_state>;

/// Bearer token, or HTTP Basic with the token as password (browsers).
bool authorized(const context& ctx, const http_request& req) {
  auto live = ctx.live();
  const auto& token = live->cfg.admin.token;
  if (token.empty()) {
    return true;
  }
  auto h = header_value(req.headers, "Authorization");
  if (h.rfind("Bearer ", 0) == 0) {
    return constant_time_equal(h.substr(7), token);
  }
  if (h.rfind("Basic ", 0) == 0) {
    auto decoded = base64_decode(h.substr(6));
    if (!decoded) {
      return false;
    }
    auto colon = decoded->find(':');
    return colon != std::string::npos && constant_time_equal(decoded->substr(colon + 1), token);
  }
  return false;
}

/// The public view, with a pending webhook hint folded into next_fetch_at.
nlohmann::json user_view(const user_record& rec, const std::optional<hint>& h) {
  auto j = public_view(rec);
  if (h && rec.state == user_state::active) {
    auto at = h->queued_at;
    if (rec.next_fetch_at == 0 || at < rec.next_fetch_at) {
      j["next_fetch_at"] = rfc3339(at);
    }
  }
  return j;
}

void get_user(admin_self self, const route_request& r, const std::string& id) {
  auto txn = self->state.ctx->db->read();
  auto rec = users::get(txn, id);
  if (!rec) {
    return r.in.reply->respond(json_error(404, "unknown user"));
  }
  r.in.reply->respond(json_response(200, user_view(*rec, inbox::get(txn, id))));
}

void list_users(admin_self self, const route_request& r) {
  auto state = param(r.query, "state").value_or("");
  auto after = param(r.query, "after").value_or("");
  long limit = 100;
  if (auto l = param(r.query, "limit")) {
    limit = std::strtol(l->c_str(), nullptr, 10);
    if (limit <= 0 || limit > 1000) {
      return r.in.reply->respond(json_error(400, "limit must be 1..1000"));
    }
  }
  std::optional<user_state> wanted;
  if (!state.empty()) {
    wanted = user_state_from(state);
    if (!wanted) {
      return r.in.reply->respond(
        json_error(400, "state must be active, reauth_required or unlinked"));
    }
  }
  nlohmann::json page = nlohmann::json::array();
  std::string last;
  bool more = false;
  auto txn = self->state.ctx->db->read();
  users::each(txn, after, [&](const user_record& rec) {
    if (!after.empty() && rec.user == after) {
      return true;
    }
    if (wanted && rec.state != *wanted) {
      return true;
    }
    if (static_cast<long>(page.size()) >= limit) {
      more = true;
      return false;
    }
    page.push_back(user_view(rec, inbox::get(txn, rec.user)));
    last = rec.user;
    return true;
  });
  r.in.reply->respond(json_response(
    200, {{"users", page}, {"next", more ? nlohmann::json(last) : nlohmann::json(nullptr)}}));
}

void fetch_user(admin_self self, const route_request& r, const std::string& id) {
  auto rec = users::get(self->state.ctx->db->read(), id);
  if (!rec) {
    return r.in.reply->respond(json_error(404, "unknown user"));
  }
  if (rec->state != user_state::active) {
    return r.in.reply->respond(
      json_error(409, std::string("user is ") + to_string(rec->state) + ", not active"));
  }
  auto reply = r.in.reply;
  self->request(self->state.peers.registry, actor_timeout, fetch_now_atom::value, id)
    .then(
      [=](int64_t answer) {
        if (answer == fetch_now_inactive) {
          return reply->respond(json_error(409, "user is not active"));
        }
        if (answer != fetch_now_started) {
          // A rate-limit hold: nothing was asked of the provider.
          auto res = json_response(429, {{"error", "rate_limited"}, {"retry_at", rfc3339(answer)}});
          res.headers.emplace_back("Retry-After",
                                   std::to_string(std::max<int64_t>(1, answer - self->state.ctx->now())));
          return reply->respond(std::move(res));
        }
        reply->respond(json_response(202, {{"user", id}, {"fetch", "queued"}}));
      },
      [=](const caf::error&) { reply->respond(json_error(503, "registry busy")); });
}

void delete_user(admin_self self, const route_request& r, const std::string& id) {
  auto ctx = self->state.ctx;
  if (!users::exists(ctx->db->read(), id)) {
    return r.in.reply->respond(json_error(404, "unknown user"));
  }
  auto reply = r.in.reply;
  self->request(self->state.peers.registry, actor_timeout, unlink_atom::value, id, false,
                std::string("disconnected by admin"))
    .then(
      [=](bool ok) {
        auto rec = users::get(ctx->db->read(), id);
        if (!ok || !rec) {
          return reply->respond(json_error(500, "could not unlink"));
        }
        reply->respond(json_response(200, public_view(*rec)));
      },
      [=](const caf::error&) { reply->respond(json_error(503, "user actor busy")); });
}

std::optional<std::vector<std::string>> tag_list(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) {
    return std::vector<std::string>{};
  }
  if (!it->is_array() || it->size() > 100) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& t : *it) {
    if (!t.is_string()) {
      return std::nullopt;
    }
    auto n = normalize_tag(t.get<std::string>());
    if (n.empty() || n.size() > 100) {
      return std::nullopt;
    }
    if (std::find(out.begin(), out.end(), n) == out.end()) {
      out.push_back(std::move(n));
    }
  }
  return out;
}

/// A rule's date: "YYYY-MM-DD" (a real day), or absent / "" for none.
std::optional<std::string> rule_date(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    return std::string{};
  }
  if (!it->is_string()) {
    return std::nullopt;
  }
  auto s = it->get<std::string>();
  if (s.empty()) {
    return s;
  }
  bool shape = s.size() == 10 && s[4] == '-' && s[7] == '-';
  auto t = shape ? parse_iso8601(s + "T00:00:00Z") : std::nullopt;
  if (!t || rfc3339(*t).compare(0, 10, s) != 0) {
    return std::nullopt; // 2026-02-30 parses, but is no day
  }
  return s;
}

nlohmann::json rules_view(const context& ctx, const user_record& rec) {
  bool own = rec.rules.has_value();
  auto date = [](const std::string& d) { return d.empty() ? nlohmann::json() : nlohmann::json(d); };
  return {{"user", rec.user},
          {"tags", own ? rec.rules->tags : ctx.cfg.import.tags},
          {"block", own ? rec.rules->block : ctx.cfg.import.block},
          {"require", own ? rec.rules->require : std::vector<std::string>{}},
          {"since", own ? date(rec.rules->since) : nlohmann::json()},
          {"until", own ? date(rec.rules->until) : nlohmann::json()},
          {"source", own ? "user" : "global"}};
}

void user_rules_route(admin_self self, const route_request& r, const std::string& id) {
  auto ctx = self->state.ctx;
  auto rec = users::get(ctx->db->read(), id);
  if (!rec) {
    return r.in.reply->respond(json_error(404, "unknown user"));
  }
  if (r.method() == "GET" || r.method() == "HEAD") {
    return r.in.reply->respond(json_response(200, rules_view(*ctx, *rec)));
  }
  auto body = nlohmann::json::parse(r.in.request.body, nullptr, false);
  if (!body.is_object()) {
    return r.in.reply->respond(json_error(400, "expected a JSON object {\"tags\":[…],\"block\":[…]}"));
  }
  auto tags = tag_list(body, "tags");
  auto block = tag_list(body, "block");
  auto require = tag_list(body, "require");
  if (!tags || !block || !require) {
    return r.in.reply->respond(json_error(400, "tags, block and require must be arrays of tags"));
  }
  if (tags->empty()) {
    return r.in.reply->respond(json_error(400, "tags must not be empty"));
  }
  auto since = rule_date(body, "since");
  auto until = rule_date(body, "until");
  if (!since || !until) {
    return r.in.reply->respond(json_error(400, "since and until must be dates, YYYY-MM-DD"));
  }
  if (!since->empty() && !until->empty() && *until < *since) {
    return r.in.reply->respond(json_error(400, "until must not be before since"));
  }
  auto reply = r.in.reply;
  self->request(self->state.peers.registry, actor_timeout, rules_atom::value, id,
                user_rules{*tags, *block, *require, *since, *until})
    .then(
      [=](bool ok) {
        auto rec = users::get(ctx->db->read(), id);
        if (!ok || !rec) {
          return reply->respond(json_error(500, "could not store the rules"));
        }
        reply->respond(json_response(200, rules_view(*ctx, *rec)));
      },
      [=](const caf::error&) { reply->respond(json_error(503, "user actor busy")); });
}

/// POST /users/{id}/backfill {"since"?: "YYYY-MM-DD"}: walks the account's
/// history (DESIGN §9); progress in GET /users/{id} as `backfill`.
void backfill_user(admin_self self, const route_request& r, const std::string& id) {
  auto ctx = self->state.ctx;
  auto rec = users::get(ctx->db->read(), id);
  if (!rec) {
    return r.in.reply->respond(json_error(404, "unknown user"));
  }
  if (rec->state != user_state::active) {
    return r.in.reply->respond(
      json_error(409, std::string("user is ") + to_string(rec->state) + ", not active"));
  }
  auto body = r.in.request.body.empty() ? nlohmann::json::object()
                                        : nlohmann::json::parse(r.in.request.body, nullptr, false);
  if (!body.is_object()) {
    return r.in.reply->respond(json_error(400, "expected a JSON object {\"since\":\"YYYY-MM-DD\"}"));
  }
  auto since = rule_date(body, "since");
  if (!since) {
    return r.in.reply->respond(json_error(400, "since must be a date, YYYY-MM-DD"));
  }
  int64_t since_ts = since->empty() ? 0 : parse_iso8601(*since + "T00:00:00Z").value_or(0);
  auto reply = r.in.reply;
  self->request(self->state.peers.registry, actor_timeout, backfill_atom::value, id, since_ts)
    .then(
      [=](bool ok) {
        if (!ok) {
          return reply->respond(json_error(409, "user is not active"));
        }
        reply->respond(json_response(202, {{"user", id}, {"backfill", "started"}}));
      },
      [=](const caf::error&) { reply->respond(json_error(503, "registry busy")); });
}

void list_outbox(admin_self self, const route_request& r) {
  auto state = param(r.query, "state").value_or("dead");
  if (state != "dead" && state != "pending") {
    return r.in.reply->respond(json_error(400, "state must be dead or pending"));
  }
  long limit = 100;
  if (auto l = param(r.query, "limit")) {
    limit = std::max(1L, std::min(1000L, std::strtol(l->c_str(), nullptr, 10)));
  }
  nlohmann::json items = nlohmann::json::array();
  auto txn = self->state.ctx->db->read();
  outbox::each(txn, state == "dead", [&](const outbox_entry& e) {
      items.push_back(public_view(e));
      return static_cast<long>(items.size()) < limit;
    });
  r.in.reply->respond(json_response(200, {{"state", state}, {"items", items}}));
}

void replay(admin_self self, const route_request& r, const std::string& id) {
  char* end = nullptr;
  auto seq = std::strtoull(id.c_str(), &end, 10);
  if (id.empty() || id.size() > 20 || *end != '\0') {
    return r.in.reply->respond(json_error(404, "unknown dead letter"));
  }
  auto reply = r.in.reply;
  self->request(self->state.peers.delivery, actor_timeout, replay_atom::value, uint64_t{seq})
    .then(
      [=](bool ok) {
        if (!ok) {
          return reply->respond(json_error(404, "unknown dead letter"));
        }
        reply->respond(json_response(200, {{"id", id}, {"replayed", true}}));
      },
      [=](const caf::error&) { reply->respond(json_error(503, "delivery busy")); });
}

void drop(admin_self self, const route_request& r, const std::string& id) {
  char* end = nullptr;
  auto seq = std::strtoull(id.c_str(), &end, 10);
  if (id.empty() || id.size() > 20 || *end != '\0') {
    return r.in.reply->respond(json_error(404, "unknown dead letter"));
  }
  auto reply = r.in.reply;
  self->request(self->state.peers.delivery, actor_timeout, drop_atom::value, uint64_t{seq})
    .then(
      [=](bool ok) {
        if (!ok) {
          return reply->respond(json_error(404, "unknown dead letter"));
        }
        reply->respond(json_response(200, {{"id", id}, {"dropped", true}}));
      },
      [=](const caf::error&) { reply->respond(json_error(503, "delivery busy")); });
}

void readyz(admin_self self, const route_request& r) {
  auto reply = r.in.reply;
  try {
    meta::schema_version(self->state.ctx->db->read());
  } catch (const std::exception&) {
    return reply->respond(json_error(503, "storage unavailable"));
  }
  // A cluster node without NATS quorum can acknowledge nothing (DESIGN §9).
  if (const auto& cluster_view = self->state.ctx->cluster_view) {
    auto v = cluster_view();
    if (!v->ready(std::chrono::steady_clock::now())) {
      return reply->respond(json_error(
        503, v->why_not_ready.empty() ? "the cluster state was not refreshed within lease_ttl_s"
                                      : v->why_not_ready));
    }
  }
  // Ready only when the actors that do the work answer.
  auto scheduler = self->state.peers.scheduler;
  self->request(self->state.peers.registry, std::chrono::seconds{2}, ping_atom::value)
    .then(
      [=](ok_atom) {
        self->request(scheduler, std::chrono::seconds{2}, ping_atom::value)
          .then([=](ok_atom) { reply->respond(json_response(200, {{"ready", true}})); },
                [=](const caf::error&) { reply->respond(json_error(503, "scheduler not answering")); });
      },
      [=](const caf::error&) { reply->respond(json_error(503, "actors not answering")); });
}

bool wants_html(const http_request& req) {
  auto accept = header_value(req.headers, "Accept");
  auto html = accept.find("text/html");
  auto json = accept.find("application/json");
  return html != std::string::npos && (json == std::string::npos || html < json);
}

/// Answers 405 unless the request's method is `method` (HEAD counts as GET).
bool only(const route_request& r, const char* method) {
  const auto& m = r.method();
  if (m == method || (m == "HEAD" && std::string_view(method) == "GET")) {
    return true;
  }
  r.in.reply->respond(json_error(405, "method not allowed"));
  return false;
}

void metrics_route(admin_self self, const route_request& r) {
  http_response res;
  res.status = 200;
  res.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  res.body = render_metrics(*self->state.ctx);
  r.in.reply->respond(std::move(res));
}

/// /status: the dashboard for a browser, JSON otherwise.
void status_route(admin_self self, const route_request& r) {
  auto figures = read_status(*self->state.ctx);
  if (!wants_html(r.in.request)) {
    return r.in.reply->respond(json_response(200, status_json(figures)));
  }
  http_response res;
  res.status = 200;
  res.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
  res.headers.emplace_back("Cache-Control", "no-store");
  res.body = status_html(figures);
  r.in.reply->respond(std::move(res));
}

/// /users/{id}[/fetch|/rules].
void user_routes(admin_self self, const route_request& r) {
  const auto& m = r.method();
  auto rest = r.path.substr(7);
  auto slash = rest.find('/');
  auto id = url_decode(rest.substr(0, slash));
  auto tail = slash == std::string::npos ? std::string{} : rest.substr(slash);
  const auto& ctx = *self->state.ctx;
  if (!valid_user_id(id)) {
    r.in.reply->respond(json_error(400, "user ids are 1-256 bytes of UTF-8 without control characters"));
  } else if (ctx.ask_owner && !ctx.owns_user(id)
             && header_value(r.in.request.headers, "Igb-Relayed").empty()) {
    // Cluster mode: the node serving the user's shard answers, whichever
    // node was asked (once: a relayed request is answered where it lands).
    auto reply = r.in.reply;
    ctx.ask_owner(id, r.in.request, [reply](http_response res) { reply->respond(std::move(res)); });
  } else if (tail.empty()) {
    if (m == "GET" || m == "HEAD") {
      get_user(self, r, id);
    } else if (m == "DELETE") {
      delete_user(self, r, id);
    } else {
      r.in.reply->respond(json_error(405, "method not allowed"));
    }
  } else if (tail == "/fetch") {
    if (only(r, "POST")) {
      fetch_user(self, r, id);
    }
  } else if (tail == "/backfill") {
    if (only(r, "POST")) {
      backfill_user(self, r, id);
    }
  } else if (tail == "/rules") {
    if (m == "GET" || m == "HEAD" || m == "PUT") {
      user_rules_route(self, r, id);
    } else {
      r.in.reply->respond(json_error(405, "method not allowed"));
    }
  } else {
    r.in.reply->respond(json_error(404, "not found"));
  }
}

void route_admin(admin_self self, const route_request& r) {
  const auto& p = r.path;
  if (!authorized(*self->state.ctx, r.in.request)) {
    auto res = json_error(401, "admin token required");
    res.headers.emplace_back("WWW-Authenticate", "Basic realm=\"igbridge\"");
    return r.in.reply->respond(std::move(res));
  }
  if (p == "/readyz") {
    if (only(r, "GET")) {
      readyz(self, r);
    }
  } else if (p == "/livez") {
    if (only(r, "GET")) {
      r.in.reply->respond(json_response(200, {{"status", "ok"}}));
    }
  } else if (p == "/metrics") {
    if (only(r, "GET")) {
      metrics_route(self, r);
    }
  } else if (p == "/status") {
    if (only(r, "GET")) {
      status_route(self, r);
    }
  } else if (p == "/users") {
    if (only(r, "GET")) {
      list_users(self, r);
    }
  } else if (p.rfind("/users/", 0) == 0) {
    user_routes(self, r);
  } else if (p == "/outbox") {
    if (only(r, "GET")) {
      list_outbox(self, r);
    }
  } else if (p.rfind("/outbox/", 0) == 0 && p.size() > 15
             && p.compare(p.size() - 7, 7, "/replay") == 0) {
    if (only(r, "POST")) {
      replay(self, r, p.substr(8, p.size() - 15));
    }
  } else if (p.rfind("/outbox/", 0) == 0 && p.size() > 13
             && p.compare(p.size() - 5, 5, "/drop") == 0) {
    if (only(r, "POST")) {
      drop(self, r, p.substr(8, p.size() - 13));
    }
  } else {
    r.in.reply->respond(json_error(404, "not found"));
  }
}

route_actor::behavior_type admin_fn(admin_self self, context_ptr ctx, actor_set peers) {
  self->state.ctx = std::move(ctx);
  self->state.peers = std::move(peers);
  keep_running(self, "admin");
  return {
    [=](const inbound& in) {
      auto r = split_request(in);
      try {
        route_admin(self, r);
      } catch (const std::exception& e) {
        log(log_level::error, "http.handler_failed", {{"path", r.path}, {"error", e.what()}});
        in.reply->respond(json_error(500, "internal error"));
      }
    },
    [=](ping_atom) -> ok_atom { return ok_atom::value; },
  };
}

} // namespace

route_actor spawn_admin(caf::actor_system& sys, context_ptr ctx, const actor_set& peers) {
  return sys.spawn(admin_fn, std::move(ctx), peers);
}

} // namespace igbridge
