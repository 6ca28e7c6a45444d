// The watchdog heartbeat: a ping through each watched actor per interval.
// If the actor system wedges, the pings stop and systemd restarts us.

#include <caf/all.hpp>

#include "igbridge/actors.hpp"
#include "igbridge/messages.hpp"

namespace igbridge {

namespace {

struct heartbeat_state {
  std::vector<pingable_actor> watched;
  std::function<void()> alive;
  std::chrono::milliseconds interval{1000};
  static inline const char* name = "igbridge.heartbeat";
};

using heartbeat_self = heartbeat_actor::stateful_pointer<heartbeat_state>;

/// Pings watched[i..]; calls alive() after the last one answered.
void ping_from(heartbeat_self self, std::size_t i) {
  auto& st = self->state;
  if (i == st.watched.size()) {
    st.alive();
    return;
  }
  self->request(st.watched[i], st.interval, ping_atom::value)
    .then([=](ok_atom) { ping_from(self, i + 1); },
          [=](const caf::error&) {
            // no answer in time: skip this beat, the watchdog will notice
          });
}

heartbeat_actor::behavior_type heartbeat(heartbeat_self self, std::chrono::milliseconds interval,
                                         std::vector<pingable_actor> watched,
                                         std::function<void()> alive) {
  self->state.watched = std::move(watched);
  self->state.alive = std::move(alive);
  self->state.interval = interval;
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      ping_from(self, 0);
      self->delayed_send(self, self->state.interval, tick_atom::value);
    },
  };
}

} // namespace

heartbeat_actor spawn_heartbeat(caf::actor_system& sys, std::chrono::milliseconds interval,
                                std::vector<pingable_actor> watched, std::function<void()> alive) {
  return sys.spawn(heartbeat, interval, std::move(watched), std::move(alive));
}

} // namespace igbridge
