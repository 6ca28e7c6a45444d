// The admin listener: readiness, metrics, status, users and dead letters.
// Reads go straight to LMDB (any thread may read); changes go through the
// actor that owns the record.

#include <caf/all.hpp>

#include "front.hpp"
#include "igbridge/clock.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/log.hpp"
#include "igbridge/metrics.hpp"
#include "igbridge/records.hpp"
#include "responses.hpp"
#include "status_view.hpp"

namespace igbridge {

namespace {

/// Bearer token, or HTTP Basic with the token as password (browsers).
bool authorized(const context& ctx, const http_request& req) {
  const auto& token = ctx.cfg.admin.token;
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

std::optional<user_record> read_user(const context& ctx, const std::string& id,
                                     std::optional<hint>* pending = nullptr) {
  auto txn = ctx.db->read();
  auto v = txn.get(db::users, id);
  if (!v) {
    return std::nullopt;
  }
  if (pending) {
    if (auto hv = txn.get(db::hints, id)) {
      *pending = decode_hint(*hv);
    }
  }
  return decode_user(*v);
}

/// The public view, with a pending webhook hint folded into next_fetch_at.
nlohmann::json user_view(const user_record& rec, const std::optional<hint>& h) {
  auto j = public_view(rec);
  if (h && rec.state == "active" && (rec.next_fetch_at == 0 || h->due_at < rec.next_fetch_at)) {
    j["next_fetch_at"] = rfc3339(h->due_at);
  }
  return j;
}

void get_user(front_self self, const route_request& r, const std::string& id) {
  std::optional<hint> h;
  auto rec = read_user(*self->state.ctx, id, &h);
  if (!rec) {
    return r.in.reply->respond(json_error(404, "unknown user"));
  }
  r.in.reply->respond(json_response(200, user_view(*rec, h)));
}

void list_users(front_self self, const route_request& r) {
  auto state = param(r.query, "state").value_or("");
  auto after = param(r.query, "after").value_or("");
  long limit = 100;
  if (auto l = param(r.query, "limit")) {
    limit = std::strtol(l->c_str(), nullptr, 10);
    if (limit <= 0 || limit > 1000) {
      return r.in.reply->respond(json_error(400, "limit must be 1..1000"));
    }
  }
  if (!state.empty() && state != "active" && state != "reauth_required" && state != "unlinked") {
    return r.in.reply->respond(json_error(400, "state must be active, reauth_required or unlinked"));
  }
  nlohmann::json users = nlohmann::json::array();
  std::string last;
  bool more = false;
  auto txn = self->state.ctx->db->read();
  txn.scan(db::users, after, [&](std::string_view k, std::string_view v) {
    if (!after.empty() && k == after) {
      return true;
    }
    auto rec = decode_user(v);
    if (!rec || (!state.empty() && rec->state != state)) {
      return true;
    }
    if (static_cast<long>(users.size()) >= limit) {
      more = true;
      return false;
    }
    std::optional<hint> h;
    if (auto hv = txn.get(db::hints, k)) {
      h = decode_hint(*hv);
    }
    users.push_back(user_view(*rec, h));
    last = std::string(k);
    return true;
  });
  r.in.reply->respond(json_response(
    200, {{"users", users}, {"next", more ? nlohmann::json(last) : nlohmann::json(nullptr)}}));
}

void fetch_user(front_self self, const route_request& r, const std::string& id) {
  auto rec = read_user(*self->state.ctx, id);
  if (!rec) {
    return r.in.reply->respond(json_error(404, "unknown user"));
  }
  if (rec->state != "active") {
    return r.in.reply->respond(json_error(409, "user is " + rec->state + ", not active"));
  }
  // A request, not a send: the answer (bool) must come back as a response,
  // or it lands in our mailbox as an unexpected message and the error CAF
  // sends back for it makes the registry quit.
  auto reply = r.in.reply;
  self->request(self->state.registry, actor_timeout, fetch_now_atom::value, id)
    .then(
      [=](bool ok) {
        if (!ok) {
          return reply->respond(json_error(409, "user is not active"));
        }
        reply->respond(json_response(202, {{"user", id}, {"fetch", "queued"}}));
      },
      [=](const caf::error&) { reply->respond(json_error(503, "registry busy")); });
}

void delete_user(front_self self, const route_request& r, const std::string& id) {
  auto ctx = self->state.ctx;
  if (!read_user(*ctx, id)) {
    return r.in.reply->respond(json_error(404, "unknown user"));
  }
  auto reply = r.in.reply;
  auto fail = [reply](const caf::error&) { reply->respond(json_error(503, "user actor busy")); };
  self->request(self->state.registry, actor_timeout, user_atom::value, id, true)
    .then(
      [=](const caf::actor& a) {
        self
          ->request(a, actor_timeout, unlink_atom::value, false,
                    std::string("disconnected by admin"))
          .then(
            [=](bool ok) {
              auto rec = read_user(*ctx, id);
              if (!ok || !rec) {
                return reply->respond(json_error(500, "could not unlink"));
              }
              reply->respond(json_response(200, public_view(*rec)));
            },
            fail);
      },
      fail);
}

void list_outbox(front_self self, const route_request& r) {
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
  txn.scan(state == "dead" ? db::dead : db::outbox, "", [&](std::string_view, std::string_view v) {
    if (auto e = decode_outbox(v)) {
      items.push_back(public_view(*e));
    }
    return static_cast<long>(items.size()) < limit;
  });
  r.in.reply->respond(json_response(200, {{"state", state}, {"items", items}}));
}

void replay(front_self self, const route_request& r, const std::string& id) {
  char* end = nullptr;
  auto seq = std::strtoull(id.c_str(), &end, 10);
  if (id.empty() || *end != '\0') {
    return r.in.reply->respond(json_error(404, "unknown dead letter"));
  }
  auto reply = r.in.reply;
  self->request(self->state.delivery, actor_timeout, replay_atom::value, uint64_t{seq})
    .then(
      [=](bool ok) {
        if (!ok) {
          return reply->respond(json_error(404, "unknown dead letter"));
        }
        reply->respond(json_response(200, {{"id", id}, {"replayed", true}}));
      },
      [=](const caf::error&) { reply->respond(json_error(503, "delivery busy")); });
}

void readyz(front_self self, const route_request& r) {
  auto reply = r.in.reply;
  try {
    self->state.ctx->db->read().get(db::meta, "schema_version");
  } catch (const std::exception&) {
    return reply->respond(json_error(503, "storage unavailable"));
  }
  // Ready only when the actors that do the work answer.
  self->request(self->state.registry, std::chrono::seconds{2}, ping_atom::value)
    .then([=](ok_atom) { reply->respond(json_response(200, {{"ready", true}})); },
          [=](const caf::error&) { reply->respond(json_error(503, "actors not answering")); });
}

bool wants_html(const http_request& req) {
  auto accept = header_value(req.headers, "Accept");
  auto html = accept.find("text/html");
  auto json = accept.find("application/json");
  return html != std::string::npos && (json == std::string::npos || html < json);
}

} // namespace

bool admin_route(front_self self, const route_request& r) {
  const auto& ctx = *self->state.ctx;
  const auto& p = r.path;
  if (!authorized(ctx, r.in.request)) {
    auto res = json_error(401, "admin token required");
    res.headers.emplace_back("WWW-Authenticate", "Basic realm=\"igbridge\"");
    r.in.reply->respond(std::move(res));
    return true;
  }
  const auto& m = r.method();
  auto only = [&](const char* method) {
    if (m == method) {
      return true;
    }
    r.in.reply->respond(json_error(405, "method not allowed"));
    return false;
  };
  if (p == "/readyz") {
    if (only("GET")) {
      readyz(self, r);
    }
  } else if (p == "/livez") {
    if (only("GET")) {
      r.in.reply->respond(json_response(200, {{"status", "ok"}}));
    }
  } else if (p == "/metrics") {
    if (only("GET")) {
      http_response res;
      res.status = 200;
      res.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      res.body = render_metrics(ctx);
      r.in.reply->respond(std::move(res));
    }
  } else if (p == "/status") {
    if (only("GET")) {
      auto status = status_json(ctx);
      if (wants_html(r.in.request)) {
        http_response res;
        res.status = 200;
        res.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
        res.headers.emplace_back("Cache-Control", "no-store");
        res.body = status_html(ctx, status);
        r.in.reply->respond(std::move(res));
      } else {
        r.in.reply->respond(json_response(200, status));
      }
    }
  } else if (p == "/users") {
    if (only("GET")) {
      list_users(self, r);
    }
  } else if (p.rfind("/users/", 0) == 0) {
    auto rest = p.substr(7);
    auto slash = rest.find('/');
    auto id = url_decode(rest.substr(0, slash));
    auto tail = slash == std::string::npos ? std::string{} : rest.substr(slash);
    if (id.empty()) {
      r.in.reply->respond(json_error(404, "not found"));
    } else if (tail.empty()) {
      if (m == "GET") {
        get_user(self, r, id);
      } else if (m == "DELETE") {
        delete_user(self, r, id);
      } else {
        r.in.reply->respond(json_error(405, "method not allowed"));
      }
    } else if (tail == "/fetch") {
      if (only("POST")) {
        fetch_user(self, r, id);
      }
    } else {
      r.in.reply->respond(json_error(404, "not found"));
    }
  } else if (p == "/outbox") {
    if (only("GET")) {
      list_outbox(self, r);
    }
  } else if (p.rfind("/outbox/", 0) == 0 && p.size() > 15
             && p.compare(p.size() - 7, 7, "/replay") == 0) {
    if (only("POST")) {
      replay(self, r, p.substr(8, p.size() - 15));
    }
  } else {
    return false;
  }
  return true;
}

} // namespace igbridge
