// The registry on the test coordinator: a user's actor is activated by the
// first message for it, reused while it lives, passivated when idle only if
// it has handled every message the registry sent it, and activated afresh
// by the next one.

#include <catch2/catch.hpp>

#include "../support/actor_fixture.hpp"

using namespace igbridge;
using namespace igbridge::test;

namespace {

/// A request to the registry from an actor of its own; the answer, or
/// `fallback` when none came.
template <class Answer, class... Ts>
Answer ask(actor_fixture& f, Answer fallback, Ts... xs) {
  auto out = std::make_shared<Answer>(fallback);
  auto registry = f.actors.registry;
  // CAF 0.17 binds an empty argument tuple through a null pointer (UBSan
  // says so): the spawned function takes one argument it ignores.
  f.sys->spawn([=](caf::event_based_actor* self, int) {
    self->request(registry, std::chrono::seconds(10), xs...)
      .then([=](Answer a) { *out = a; }, [](caf::error&) {});
  }, 0);
  f.run();
  return *out;
}

double activations(actor_fixture& f) {
  return f.stats.value("igbridge_user_activations_total");
}

} // namespace

TEST_CASE("a user's actor lives from its first message until it is idle", "[registry]") {
  actor_fixture f;
  f.start();
  caf::anon_send(f.actors.registry, wake_atom::value, std::string("alice"));
  f.run();
  CHECK(activations(f) == 1);
  CHECK(f.stats.value("igbridge_user_actors") == 1);
  // More messages reach the same actor.
  CHECK(ask(f, int64_t{-2}, fetch_now_atom::value, std::string("alice")) == fetch_now_inactive);
  CHECK(activations(f) == 1);
  // A passivation request that has not seen every message is refused.
  CHECK_FALSE(ask(f, true, idle_atom::value, std::string("alice"), uint64_t{1}));
  CHECK(f.stats.value("igbridge_user_actors") == 1);
  // Idle for actors.idle_s: it goes, and the next message brings a new one.
  f.advance(f.ctx->cfg.actors.idle_s + 1);
  CHECK(f.stats.value("igbridge_user_actors") == 0);
  CHECK(f.stats.value("igbridge_user_passivations_total") == 1);
  caf::anon_send(f.actors.registry, wake_atom::value, std::string("alice"));
  f.run();
  CHECK(activations(f) == 2);
}

TEST_CASE("every user has an actor of its own; a drained registry wakes nobody", "[registry]") {
  actor_fixture f;
  f.start();
  for (auto u : {"a", "b", "c"}) {
    caf::anon_send(f.actors.registry, wake_atom::value, std::string(u));
  }
  f.run();
  CHECK(activations(f) == 3);
  caf::anon_send(f.actors.registry, drain_atom::value);
  caf::anon_send(f.actors.registry, wake_atom::value, std::string("d"));
  f.run();
  CHECK(activations(f) == 3);
}
