#pragma once
/// @brief Spawning igbridge's actors. What each understands is its typed
/// interface in messages.hpp.

#include <chrono>
#include <functional>
#include <vector>

#include <caf/fwd.hpp>

#include "igbridge/context.hpp"
#include "igbridge/messages.hpp"

namespace igbridge {

/// The actors of one daemon, spawned in this order by spawn_all().
struct actor_set {
  writer_actor writer;
  file_sink_actor file_sink; // JSONL sink only
  media_store_actor media;   // media.store only
  registry_actor registry;
  delivery_actor delivery;
  scheduler_actor scheduler;
  route_actor front;
  route_actor admin;
};

/// Spawns and wires every actor. `detached` puts the writer and the file
/// sink on threads of their own (the daemon); tests under CAF's test
/// coordinator pass false so that everything runs in the test's thread.
actor_set spawn_all(caf::actor_system& sys, context_ptr ctx, bool detached = true);

/// Sends every actor of `a` an exit; user actors go with the registry.
void stop_all(const actor_set& a);

/// Every `interval` asks the watched actors for a ping through the actor
/// system and calls `alive` when all answered: the systemd watchdog is fed
/// only while actors really run.
heartbeat_actor spawn_heartbeat(caf::actor_system& sys, std::chrono::milliseconds interval,
                                std::vector<pingable_actor> watched, std::function<void()> alive);

// -- one by one (spawn_all uses these; tests may too) ---------------------------

writer_actor spawn_writer(caf::actor_system& sys, context_ptr ctx, bool detached);
file_sink_actor spawn_file_sink(caf::actor_system& sys, context_ptr ctx, bool detached);
/// `media` empty: records go out without downloading their media.
/// `registry` empty: expired media URLs are not read again.
delivery_actor spawn_delivery(caf::actor_system& sys, context_ptr ctx, writer_actor writer,
                              file_sink_actor file_sink, media_store_actor media = {},
                              registry_actor registry = {});
media_store_actor spawn_media_store(caf::actor_system& sys, context_ptr ctx, bool detached);
/// Unlinks stored media files by name (invalid names are ignored).
void remove_media_files(const std::string& dir, const std::vector<std::string>& names);
registry_actor spawn_registry(caf::actor_system& sys, context_ptr ctx, writer_actor writer);
scheduler_actor spawn_scheduler(caf::actor_system& sys, context_ptr ctx,
                                registry_actor registry);
route_actor spawn_front(caf::actor_system& sys, context_ptr ctx, const actor_set& peers);
route_actor spawn_admin(caf::actor_system& sys, context_ptr ctx, const actor_set& peers);

} // namespace igbridge
