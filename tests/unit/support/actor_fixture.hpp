#pragma once
/// @brief Every actor of a daemon under CAF's test coordinator: a store in
/// a temporary directory, a scripted provider instead of the network, and
/// a clock the test moves in step with CAF's timers, so schedules, retries
/// and passivation run without sleeping.

#include <deque>
#include <filesystem>
#include <memory>
#include <string>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "../store/temp_dir.hpp"
#include "igbridge/actors.hpp"
#include "igbridge/metrics.hpp"

namespace igbridge::test {

/// An HTTP responder that keeps what it was told to answer.
struct recorded : responder {
  std::vector<http_response> answers;
  void respond(http_response r) override { answers.push_back(std::move(r)); }
};

/// Outbound HTTP that waits for the test to answer each request.
class scripted_http final : public outbound_http {
public:
  struct call {
    http_request request;
    callback done;
  };

  void send(http_request req, callback done, std::chrono::milliseconds) override {
    calls.push_back(call{std::move(req), std::move(done)});
  }

  /// Answers the oldest request with `status` and `body`.
  http_request answer(int status, std::string body, header_list headers = {}) {
    auto c = std::move(calls.front());
    calls.pop_front();
    http_response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    c.done(std::move(r));
    return c.request;
  }

  std::deque<call> calls;
};

struct actor_fixture {
  temp_dir dir;
  int64_t now = 1'800'000'000;
  metrics stats;
  scripted_http http;
  context_ptr ctx;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  actor_set actors;

  actor_fixture() {
    config c;
    c.sink.type = "jsonl";
    c.media.store = false; // media downloads have tests of their own
    c.sink.path = dir.path() + "/imports.jsonl";
    c.sink.retry_schedule_s = {5, 300};
    c.instagram.graph_url = "https://graph.example";
    c.instagram.graph_version = "";
    c.import.webhook_delay_s = 60;
    c.import.poll_tiers_s = {900, 3600};
    c.actors.idle_s = 30;
    auto db = std::make_shared<store>(dir.path() + "/db", std::size_t{1} << 20);
    ctx = std::make_shared<context>(std::move(c), db, http, stats);
    ctx->clock = [this] { return now; };
    cfg.set("scheduler.policy", caf::atom("testing"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  }

  ~actor_fixture() {
    stop_all(actors);
    sched->run();
    sys.reset();
  }

  void start() {
    actors = spawn_all(*sys, ctx, false);
    sched->run();
  }

  void run() { sched->run(); }

  /// Moves both clocks: ours (read by the actors) and CAF's timers.
  void advance(int64_t seconds) {
    now += seconds;
    sched->advance_time(std::chrono::seconds(seconds));
    sched->run();
  }

  read_txn read() { return ctx->db->read(); }
};

} // namespace igbridge::test
