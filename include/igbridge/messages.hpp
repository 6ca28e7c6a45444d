#pragma once
/// @brief The vocabulary between igbridge's actors: atoms and message
/// structs. Everything here stays inside one process, so types that carry
/// callbacks or shared pointers are allowed as local-only messages.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "igbridge/http_server.hpp"
#include "igbridge/http_types.hpp"
#include "igbridge/provider.hpp"

namespace igbridge {

// -- atoms (10 characters at most) -----------------------------------------

using http_atom = caf::atom_constant<caf::atom("http")>;          // front: an inbound request
using http_done_atom = caf::atom_constant<caf::atom("http_done")>; // an outbound answer
using fetch_atom = caf::atom_constant<caf::atom("fetch")>;        // timer: poll/hint fetch
using fetch_now_atom = caf::atom_constant<caf::atom("fetch_now")>; // admin: fetch at once
using hint_atom = caf::atom_constant<caf::atom("hint")>;          // webhook: fetch soon
using link_atom = caf::atom_constant<caf::atom("link")>;          // store a fresh grant
using unlink_atom = caf::atom_constant<caf::atom("unlink")>;      // forget the token
using erase_atom = caf::atom_constant<caf::atom("erase")>;        // data deletion
using refresh_atom = caf::atom_constant<caf::atom("refresh")>;    // timer: token refresh
using user_atom = caf::atom_constant<caf::atom("user")>;          // registry: actor of a user
using kick_atom = caf::atom_constant<caf::atom("kick")>;          // delivery: outbox grew
using tick_atom = caf::atom_constant<caf::atom("tick")>;          // delivery: retry timer
using replay_atom = caf::atom_constant<caf::atom("replay")>;      // delivery: dead → outbox
using restore_atom = caf::atom_constant<caf::atom("restore")>;    // registry: start-up
using ok_atom = caf::atom_constant<caf::atom("ok")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;          // watchdog heartbeat
using drain_atom = caf::atom_constant<caf::atom("drain")>;        // shutdown: stop new work
using flush_atom = caf::atom_constant<caf::atom("flush")>;        // registry: commit queued hints

/// Which listener a request came in on.
enum class listener_kind { public_api, admin_api };

/// An inbound request with the handle that answers it.
struct inbound {
  listener_kind listener = listener_kind::public_api;
  http_request request;
  responder_ptr reply;
};

/// Webhook hints: the Instagram user ids one verified payload named.
struct hint_batch {
  std::vector<std::string> instagram_user_ids;
  responder_ptr reply; // answered 200 after the commit
  std::chrono::steady_clock::time_point received{};
};

/// An outbound HTTP answer routed back to the actor that asked.
struct http_reply {
  uint64_t tag = 0;
  http_response response;
};

/// Result of a link flow, handed to the user actor to store.
struct link_grant {
  token_grant grant;
  int64_t issued_at = 0;
};

/// A user actor's start-up instructions from the registry.
struct restore_order {
  std::size_t overdue_rank = 0; // k-th overdue user
  std::size_t overdue_total = 0;
};

} // namespace igbridge

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::inbound)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::hint_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::http_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::link_grant)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::restore_order)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::responder_ptr)
