// The front actor: every inbound request arrives here as a message and is
// routed by listener, path and method. Stateless checks (signatures, JSON)
// happen here; anything that touches a user goes to that user's actor.

#include "front.hpp"

#include <caf/all.hpp>

#include "keep_running.hpp"

#include "igbridge/actors.hpp"
#include "igbridge/log.hpp"
#include "igbridge/metrics.hpp"
#include "responses.hpp"

namespace igbridge {

namespace {

/// Answers 405 when `path` is known but `method` is not one it takes.
bool method_allowed(const route_request& r, std::initializer_list<const char*> methods) {
  for (auto m : methods) {
    if (r.method() == m) {
      return true;
    }
  }
  r.in.reply->respond(json_error(405, "method not allowed"));
  return false;
}

void route_public(front_self self, const route_request& r) {
  const auto& p = r.path;
  if (p == "/livez") {
    if (method_allowed(r, {"GET", "HEAD"})) {
      r.in.reply->respond(json_response(200, {{"status", "ok"}}));
    }
  } else if (p == "/oauth/instagram/start") {
    if (method_allowed(r, {"GET"})) {
      oauth_start(self, r);
    }
  } else if (p == "/oauth/instagram/callback") {
    if (method_allowed(r, {"GET"})) {
      oauth_callback(self, r);
    }
  } else if (p == "/hooks/instagram") {
    if (r.method() == "GET") {
      hook_verify(self, r);
    } else if (method_allowed(r, {"POST"})) {
      hook_update(self, r);
    }
  } else if (p == "/hooks/instagram/deauthorize") {
    if (method_allowed(r, {"POST"})) {
      hook_signed_request(self, r, false);
    }
  } else if (p == "/hooks/instagram/data-deletion") {
    if (method_allowed(r, {"POST"})) {
      hook_signed_request(self, r, true);
    }
  } else if (p == "/hooks/instagram/deletion") {
    if (method_allowed(r, {"GET"})) {
      hook_deletion_status(self, r);
    }
  } else {
    r.in.reply->respond(json_error(404, "not found"));
  }
}

caf::behavior front_actor(front_self self, context_ptr ctx, caf::actor registry,
                          caf::actor delivery) {
  self->state.ctx = std::move(ctx);
  keep_running(self, "front");
  self->state.registry = std::move(registry);
  self->state.delivery = std::move(delivery);
  return {
    [=](const inbound& in) {
      const auto& target = in.request.target;
      auto q = target.find('?');
      route_request r{in, target.substr(0, q),
                      q == std::string::npos ? params{} : parse_query(target.substr(q + 1))};
      try {
        if (in.listener == listener_kind::public_api) {
          route_public(self, r);
        } else if (!admin_route(self, r)) {
          in.reply->respond(json_error(404, "not found"));
        }
      } catch (const std::exception& e) {
        log(log_level::error, "http.handler_failed", {{"path", r.path}, {"error", e.what()}});
        in.reply->respond(json_error(500, "internal error"));
      }
    },
    [=](ping_atom) -> ok_atom { return ok_atom::value; },
  };
}

} // namespace

caf::actor spawn_front(caf::actor_system& sys, context_ptr ctx, caf::actor registry,
                       caf::actor delivery) {
  return sys.spawn(front_actor, std::move(ctx), std::move(registry), std::move(delivery));
}

} // namespace igbridge
