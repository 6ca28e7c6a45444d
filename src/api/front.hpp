#pragma once
// The front actor takes the public routes that need state or an actor's
// help: the OAuth flow, Instagram's subscription verification, the
// deauthorize and data-deletion callbacks and the deletion status page.
// One file per group: front_oauth.cpp, front_hooks.cpp. /livez and webhook
// updates never reach it (listener.cpp answers them on the listener's
// threads), so neither waits behind an OAuth commit.

#include <string>

#include <caf/fwd.hpp>
#include <caf/stateful_actor.hpp>

#include "igbridge/actors.hpp"
#include "igbridge/context.hpp"
#include "igbridge/messages.hpp"
#include "igbridge/urls.hpp"

namespace igbridge {

struct front_state {
  context_ptr ctx;
  actor_set peers;
  static inline const char* name = "igbridge.front";
};

using front_self = route_actor::stateful_pointer<front_state>;

/// A request split for routing.
struct route_request {
  const inbound& in;
  std::string path; // without query
  params query;
  const std::string& method() const { return in.request.method; }
};

/// Splits the target of `in` into path and query.
route_request split_request(const inbound& in);

/// How long a route waits for another actor before answering 503 itself.
constexpr auto actor_timeout = std::chrono::seconds{10};

void oauth_start(front_self self, const route_request& r);
void oauth_callback(front_self self, const route_request& r);
void hook_verify(front_self self, const route_request& r);
void hook_signed_request(front_self self, const route_request& r, bool erase);
void hook_deletion_status(front_self self, const route_request& r);

/// The link flow: exchanges the code and hands the grant to the user actor.
void spawn_link_flow(front_self self, std::string user, std::string code, responder_ptr reply);
/// The same from any thread (a NATS completion in cluster mode).
void spawn_link_flow(caf::actor_system& sys, context_ptr ctx, registry_actor registry,
                     std::string user, std::string code, responder_ptr reply);

/// Runs `apply` in the writer, then `done(ok)` in `self`.
template <class Self>
void write_then(Self self, writer_actor writer, const char* what,
                std::function<void(write_txn&, write_notes&)> apply,
                std::function<void(bool ok)> done) {
  self->request(writer, std::chrono::seconds{30}, write_atom::value,
                write_job{std::move(apply), what})
    .then([done](write_result& r) { done(r.ok); }, [done](caf::error&) { done(false); });
}

} // namespace igbridge
