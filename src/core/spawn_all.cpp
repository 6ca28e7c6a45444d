// Spawning and wiring the actors of one daemon, in dependency order: the
// writer first (everyone writes through it), then who reads and wakes.

#include <caf/all.hpp>

#include "igbridge/actors.hpp"

namespace igbridge {

actor_set spawn_all(caf::actor_system& sys, context_ptr ctx, bool detached) {
  actor_set a;
  a.writer = spawn_writer(sys, ctx, detached);
  a.file_sink = spawn_file_sink(sys, ctx, detached);
  if (ctx->cfg.media.store) {
    a.media = spawn_media_store(sys, ctx, detached);
  }
  a.registry = spawn_registry(sys, ctx, a.writer);
  a.delivery = spawn_delivery(sys, ctx, a.writer, a.file_sink, a.media, a.registry);
  a.scheduler = spawn_scheduler(sys, ctx, a.registry);
  caf::anon_send(a.writer, peers_atom::value, a.scheduler, a.delivery);
  a.front = spawn_front(sys, ctx, a);
  a.admin = spawn_admin(sys, ctx, a);
  return a;
}

void stop_all(const actor_set& a) {
  auto stop = [](const auto& h) {
    if (h) {
      caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
    }
  };
  stop(a.front);
  stop(a.admin);
  stop(a.scheduler);
  stop(a.registry);
  stop(a.delivery);
  stop(a.file_sink);
  stop(a.media);
  stop(a.writer);
}

} // namespace igbridge
