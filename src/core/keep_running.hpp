#pragma once
// An actor that owns durable work must not quit on a stray message: CAF's
// defaults turn an unexpected error message into an exit. Log and go on,
// and answer an unexpected request with CAF's own error for it, so that a
// wiring fault shows at the sender instead of as an empty reply.

#include <caf/scheduled_actor.hpp>

#include "igbridge/log.hpp"

namespace igbridge {

inline void keep_running(caf::scheduled_actor* self, const char* who) {
  self->set_error_handler([who](caf::scheduled_actor*, caf::error& err) {
    log(log_level::error, "actor.unexpected_error",
        {{"actor", who}, {"error", caf::to_string(err)}});
  });
  self->set_default_handler([who](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
    log(log_level::warning, "actor.unexpected_message",
        {{"actor", who}, {"message", caf::deep_to_string(x.content())}});
    return caf::sec::unexpected_message;
  });
}

} // namespace igbridge
