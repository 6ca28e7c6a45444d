// The registry: activates user actors on demand and lets idle ones go
// (virtual actors, as Orleans grains or Akka's passivation). Every message
// for a user passes through here and is counted; a user actor may
// passivate only when it has handled as many messages as the registry sent
// it, so a message can never reach an actor on its way out: the registry
// forgets the actor first, and the next message activates a fresh one that
// reads its state from LMDB.

#include <unordered_map>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <caf/all.hpp>

#include "core/keep_running.hpp"

#include "igbridge/actors.hpp"
#include "igbridge/log.hpp"
#include "user/user.hpp"

namespace igbridge {

namespace {

struct active_user {
  user_actor actor;
  uint64_t sent = 0; // messages sent to it through the registry
};

/// Live actors a wave must reach before its end hands memory back.
constexpr std::size_t trim_min_peak = 1024;

struct registry_state {
  context_ptr ctx;
  writer_actor writer;
  std::unordered_map<std::string, active_user> users;
  std::size_t peak = 0; // most live actors since memory was last handed back
  bool draining = false;
  static inline const char* name = "igbridge.registry";
};

using registry_self = registry_actor::stateful_pointer<registry_state>;

void gauge(registry_self self) {
  self->state.ctx->stats.set("igbridge_user_actors", {},
                             static_cast<double>(self->state.users.size()));
}

/// The user's actor, activated when it has none; counts the message the
/// caller is about to send it.
user_actor& actor_for(registry_self self, const std::string& user) {
  auto& st = self->state;
  auto i = st.users.find(user);
  if (i == st.users.end()) {
    // Monitored, not linked: CAF keeps an actor's links in one list and
    // scans it on every unlink, so each passivation of one of a million
    // linked users would cost a walk over all the others. The registry
    // takes its users down itself when it goes (stop_users).
    auto a = self->spawn(user_behavior, st.ctx, st.writer, caf::actor_cast<registry_actor>(self),
                         user);
    self->monitor(a);
    i = st.users.emplace(user, active_user{std::move(a), 0}).first;
    st.peak = std::max(st.peak, st.users.size());
    st.ctx->stats.inc("igbridge_user_activations_total");
    gauge(self);
  }
  ++i->second.sent;
  return i->second.actor;
}

/// glibc keeps what a wave of activations freed for reuse, so without this
/// the resident size after 100,000 users were due at once stays at the
/// wave's peak. Once most of the wave's actors have passivated, the free
/// pages go back to the system (a few ms, once per wave and quarter).
void after_passivation(registry_self self) {
  auto& st = self->state;
  if (st.peak < trim_min_peak || st.users.size() > st.peak / 4) {
    return;
  }
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
  st.peak = st.users.size();
}

/// Cluster mode: a user whose shard this node does not own (not yet
/// restored, or handed over) gets no actor here; its owner runs it.
caf::error not_owned(const std::string& user) {
  return caf::make_error(caf::sec::request_receiver_down,
                         "user " + user + "'s shard is owned by another node");
}

/// A shard handed over or lost: its users' actors go (their state is in
/// LMDB and the changelog); returns how many there were.
uint64_t stop_shard(registry_self self, uint32_t shard) {
  auto& st = self->state;
  if (!st.ctx->shard_of) {
    return 0;
  }
  uint64_t n = 0;
  for (auto i = st.users.begin(); i != st.users.end();) {
    if (st.ctx->shard_of(i->first) == shard) {
      self->send_exit(i->second.actor, caf::exit_reason::user_shutdown);
      i = st.users.erase(i);
      ++n;
    } else {
      ++i;
    }
  }
  gauge(self);
  return n;
}

/// Users go with the registry, and their timers with them.
void stop_users(registry_self self, const caf::error& reason) {
  for (auto& [user, a] : self->state.users) {
    self->send_exit(a.actor, reason);
  }
}

} // namespace

namespace {

registry_actor::behavior_type registry_fn(registry_self self, context_ptr ctx,
                                          writer_actor writer) {
  self->state.ctx = std::move(ctx);
  self->state.writer = std::move(writer);
  keep_running(self, "registry");
  // A user actor that passivated is already forgotten, so a normal exit
  // needs nothing. One that failed is forgotten here (rare: a scan); the
  // next message for that user activates a new one.
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& st = self->state;
    if (!msg.reason || msg.reason == caf::exit_reason::normal || st.draining) {
      return;
    }
    for (auto i = st.users.begin(); i != st.users.end(); ++i) {
      if (caf::actor_cast<caf::actor_addr>(i->second.actor) == msg.source) {
        log(log_level::error, "registry.user_actor_failed",
            {{"user", i->first}, {"error", caf::to_string(msg.reason)}});
        st.users.erase(i);
        gauge(self);
        return;
      }
    }
  });
  // Exit messages are meant for the registry itself (no user is linked).
  self->set_exit_handler([=](caf::exit_msg& msg) {
    if (!msg.reason || msg.reason == caf::exit_reason::normal) {
      return;
    }
    stop_users(self, msg.reason);
    self->quit(msg.reason);
  });
  self->set_exception_handler([=](caf::scheduled_actor*, std::exception_ptr&) -> caf::error {
    stop_users(self, caf::exit_reason::unhandled_exception);
    return caf::exit_reason::unhandled_exception;
  });
  return {
    [=](wake_atom, const std::string& user) {
      auto& st = self->state;
      if (st.draining) {
        return;
      }
      if (!st.ctx->owns_user(user)) {
        // Cluster mode: the shard is not served here (now). The scheduler
        // keeps the user in flight until a commit notes it again (a
        // restore's wakes, once the shard is served).
        st.ctx->stats.inc("igbridge_wakes_refused_total");
        return;
      }
      self->send(actor_for(self, user), wake_atom::value);
    },
    [=](fetch_now_atom, const std::string& user) -> caf::result<int64_t> {
      if (!self->state.ctx->owns_user(user)) {
        return not_owned(user);
      }
      return self->delegate(actor_for(self, user), fetch_now_atom::value);
    },
    [=](link_atom, const std::string& user, link_grant& lg) -> caf::result<bool> {
      if (!self->state.ctx->owns_user(user)) {
        return not_owned(user);
      }
      return self->delegate(actor_for(self, user), link_atom::value, std::move(lg));
    },
    [=](unlink_atom, const std::string& user, bool notify, std::string& reason)
      -> caf::result<bool> {
      if (!self->state.ctx->owns_user(user)) {
        return not_owned(user);
      }
      return self->delegate(actor_for(self, user), unlink_atom::value, notify, std::move(reason));
    },
    [=](backfill_atom, const std::string& user, int64_t since) -> caf::result<bool> {
      if (!self->state.ctx->owns_user(user)) {
        return not_owned(user);
      }
      return self->delegate(actor_for(self, user), backfill_atom::value, since);
    },
    [=](erase_atom, const std::string& user, std::string& code) -> caf::result<bool> {
      if (!self->state.ctx->owns_user(user)) {
        return not_owned(user);
      }
      return self->delegate(actor_for(self, user), erase_atom::value, std::move(code));
    },
    [=](rules_atom, const std::string& user, user_rules& rules) -> caf::result<bool> {
      if (!self->state.ctx->owns_user(user)) {
        return not_owned(user);
      }
      return self->delegate(actor_for(self, user), rules_atom::value, std::move(rules));
    },
    [=](reread_atom, const std::string& user, std::string& media_id)
      -> caf::result<media_reread> {
      if (!self->state.ctx->owns_user(user)) {
        return not_owned(user);
      }
      return self->delegate(actor_for(self, user), reread_atom::value, std::move(media_id));
    },
    [=](idle_atom, const std::string& user, uint64_t handled) -> bool {
      auto& users = self->state.users;
      auto i = users.find(user);
      if (i == users.end()
          || caf::actor_cast<caf::strong_actor_ptr>(i->second.actor) != self->current_sender()
          || i->second.sent != handled) {
        return false; // something is on its way to it: it stays
      }
      users.erase(i);
      self->state.ctx->stats.inc("igbridge_user_passivations_total");
      gauge(self);
      after_passivation(self);
      return true;
    },
    [=](ping_atom) -> ok_atom { return ok_atom::value; },
    [=](shard_atom, uint32_t shard) -> uint64_t { return stop_shard(self, shard); },
    [=](drain_atom) {
      auto& st = self->state;
      st.draining = true;
      stop_users(self, caf::exit_reason::user_shutdown);
    },
  };
}

} // namespace

registry_actor spawn_registry(caf::actor_system& sys, context_ptr ctx, writer_actor writer) {
  return sys.spawn(registry_fn, std::move(ctx), std::move(writer));
}

} // namespace igbridge
