// The front actor: public requests that need an actor arrive here as
// messages and are routed by path and method.

#include "api/front.hpp"

#include <caf/all.hpp>

#include "core/keep_running.hpp"

#include "igbridge/log.hpp"
#include "api/responses.hpp"

namespace igbridge {

route_request split_request(const inbound& in) {
  const auto& target = in.request.target;
  auto q = target.find('?');
  return route_request{in, target.substr(0, q),
                       q == std::string::npos ? params{} : parse_query(target.substr(q + 1))};
}

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
  if (p == "/oauth/instagram/start") {
    if (method_allowed(r, {"GET", "HEAD"})) {
      oauth_start(self, r);
    }
  } else if (p == "/oauth/instagram/callback") {
    if (method_allowed(r, {"GET", "HEAD"})) {
      oauth_callback(self, r);
    }
  } else if (p == "/hooks/instagram") {
    if (method_allowed(r, {"GET", "HEAD"})) {
      hook_verify(self, r);
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
    if (method_allowed(r, {"GET", "HEAD"})) {
      hook_deletion_status(self, r);
    }
  } else {
    r.in.reply->respond(json_error(404, "not found"));
  }
}

route_actor::behavior_type front_fn(front_self self, context_ptr ctx, actor_set peers) {
  self->state.ctx = std::move(ctx);
  self->state.peers = std::move(peers);
  keep_running(self, "front");
  return {
    [=](const inbound& in) {
      auto r = split_request(in);
      try {
        route_public(self, r);
      } catch (const std::exception& e) {
        log(log_level::error, "http.handler_failed", {{"path", r.path}, {"error", e.what()}});
        in.reply->respond(json_error(500, "internal error"));
      }
    },
    [=](ping_atom) -> ok_atom { return ok_atom::value; },
  };
}

} // namespace

route_actor spawn_front(caf::actor_system& sys, context_ptr ctx, const actor_set& peers) {
  return sys.spawn(front_fn, std::move(ctx), peers);
}

} // namespace igbridge
