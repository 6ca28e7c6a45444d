#pragma once
// The front actor's routes, one file per group: front_oauth.cpp,
// front_hooks.cpp, front_admin.cpp. Each route answers through the
// request's responder, at once or when the actors it asked have answered.

#include <string>

#include <caf/fwd.hpp>
#include <caf/stateful_actor.hpp>

#include "igbridge/context.hpp"
#include "igbridge/messages.hpp"
#include "igbridge/urls.hpp"

namespace igbridge {

struct front_state {
  context_ptr ctx;
  caf::actor registry;
  caf::actor delivery;
  static inline const char* name = "igbridge.front";
};

using front_self = caf::stateful_actor<front_state>*;

/// A request split for routing.
struct route_request {
  const inbound& in;
  std::string path;   // without query
  params query;
  const std::string& method() const { return in.request.method; }
};

/// How long the front waits for another actor before answering 503 itself.
constexpr auto actor_timeout = std::chrono::seconds{10};

void oauth_start(front_self self, const route_request& r);
void oauth_callback(front_self self, const route_request& r);
void hook_verify(front_self self, const route_request& r);
void hook_update(front_self self, const route_request& r);
void hook_signed_request(front_self self, const route_request& r, bool erase);
void hook_deletion_status(front_self self, const route_request& r);

/// Every admin route; false when the path is not one of them.
bool admin_route(front_self self, const route_request& r);

/// The link flow: exchanges the code and hands the grant to the user actor.
void spawn_link_flow(front_self self, std::string user, std::string code, responder_ptr reply);

} // namespace igbridge
