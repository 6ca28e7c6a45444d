#pragma once
// What each listener does with a request, on the listener's own threads:
// /livez is answered at once (no actor round trip a busy mailbox could
// delay), webhook updates are verified and parsed here and handed to the
// writer, which answers after the commit; everything else becomes a
// message to the front or admin actor.

#include "igbridge/actors.hpp"
#include "igbridge/http_server.hpp"

namespace igbridge {

http_server::handler public_listener(context_ptr ctx, const actor_set& actors);
http_server::handler admin_listener(context_ptr ctx, const actor_set& actors);

} // namespace igbridge
