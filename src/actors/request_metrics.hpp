#pragma once
// Counting every answer by listener, route and status: a responder that
// wraps the listener's own and records the status it is given.

#include "igbridge/http_server.hpp"
#include "igbridge/messages.hpp"

namespace igbridge {

class metrics;

/// The route a target belongs to, with ids folded ("/users/{id}"), so the
/// label set stays small whatever clients send.
std::string route_label(listener_kind kind, const std::string& target);

responder_ptr counting_responder(responder_ptr inner, metrics& stats, listener_kind kind,
                                 const std::string& route);

} // namespace igbridge
