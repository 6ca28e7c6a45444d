#pragma once
// What each listener does with a request, on the listener's own threads:
// /livez is answered at once (no actor round trip a busy mailbox could
// delay), webhook updates are verified and parsed here and handed to the
// writer, which answers after the commit; everything else becomes a
// message to the front or admin actor. An update that asks for `Expect:
// 100-continue` is refused from its head when it carries no signature.

#include "igbridge/actors.hpp"
#include "igbridge/http_server.hpp"

namespace igbridge {

http_server::routes public_listener(context_ptr ctx, const actor_set& actors);
http_server::routes admin_listener(context_ptr ctx, const actor_set& actors);

} // namespace igbridge
