#pragma once
/// @brief Spawning igbridge's actors. The handles are plain caf::actor;
/// what each one understands is documented at its spawn function.

#include <chrono>
#include <functional>
#include <vector>

#include <caf/fwd.hpp>

#include "igbridge/context.hpp"

namespace igbridge {

/// Drains the outbox to the configured sink. Understands kick_atom (outbox
/// grew), tick_atom (timer), (replay_atom, seq) → bool, http_reply.
caf::actor spawn_delivery(caf::actor_system& sys, context_ptr ctx);

/// Owns the user actors. Understands (user_atom, id, spawn_if_missing) →
/// actor, hint_batch, restore_atom (start-up: re-arm every schedule),
/// (fetch_now_atom, id) → bool.
caf::actor spawn_registry(caf::actor_system& sys, context_ptr ctx, caf::actor delivery);

/// Routes inbound requests (message `inbound`) to routes and actors.
caf::actor spawn_front(caf::actor_system& sys, context_ptr ctx, caf::actor registry,
                       caf::actor delivery);

/// Every `interval` asks the registry and the front for a ping through the
/// actor system and calls `alive` when both answered: the systemd watchdog
/// is fed only while actors really run.
caf::actor spawn_heartbeat(caf::actor_system& sys, std::chrono::milliseconds interval,
                           std::vector<caf::actor> watched, std::function<void()> alive);

} // namespace igbridge
