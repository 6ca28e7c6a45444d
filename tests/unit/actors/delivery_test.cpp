// The delivery actor under CAF's test coordinator: retries, dead letters and
// replay with an injected clock, so the retry schedule is walked without
// sleeping.

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/outbox_writer.hpp"
#include "igbridge/actors.hpp"
#include "igbridge/messages.hpp"
#include "igbridge/metrics.hpp"
#include "igbridge/records.hpp"

using namespace igbridge;

namespace {

struct fixture {
  std::string dir;
  int64_t now = 1'800'000'000;
  metrics stats;
  context_ptr ctx = std::make_shared<context>();
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;

  fixture() {
    char tmpl[] = "/tmp/igbridge-delivery-XXXXXX";
    dir = ::mkdtemp(tmpl);
    ctx->cfg.sink.type = "jsonl";
    // A directory where the file should be: every append fails.
    ctx->cfg.sink.path = dir + "/blocked";
    std::filesystem::create_directories(ctx->cfg.sink.path);
    ctx->cfg.sink.retry_schedule_s = {5, 300};
    ctx->db = std::make_shared<store>(dir + "/db");
    ctx->stats = &stats;
    ctx->clock = [this] { return now; };
    cfg.set("scheduler.policy", caf::atom("testing"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  }

  ~fixture() {
    sys.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  void queue(const std::string& media_id) {
    outbox_entry e;
    e.id = "instagram:" + media_id;
    e.user = "alice";
    e.created_at = now;
    e.next_attempt_at = now;
    e.data = R"({"id":"instagram:)" + media_id + R"(","media_id":")" + media_id + R"("})";
    auto txn = ctx->db->write();
    append_outbox(txn, e);
    txn.commit();
  }

  /// Moves both clocks: ours (read by the actor) and CAF's timers.
  void advance(int64_t seconds) {
    now += seconds;
    sched->advance_time(std::chrono::seconds(seconds));
    sched->run();
  }

  std::optional<outbox_entry> entry(db d, uint64_t seq) {
    auto v = ctx->db->read().get(d, seq_key(seq));
    return v ? decode_outbox(*v) : std::nullopt;
  }

  std::vector<std::string> lines() {
    std::ifstream in(dir + "/imports.jsonl");
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) {
      out.push_back(l);
    }
    return out;
  }
};

} // namespace

TEST_CASE("failed deliveries walk the retry schedule, then become dead letters",
          "[delivery]") {
  fixture f;
  f.queue("1");
  auto delivery = spawn_delivery(*f.sys, f.ctx);
  f.sched->run();
  auto e = f.entry(db::outbox, 1);
  REQUIRE(e);
  CHECK(e->attempts == 1);
  CHECK(e->next_attempt_at == f.now + 5);

  f.advance(4); // not due yet: nothing happens
  CHECK(f.entry(db::outbox, 1)->attempts == 1);

  f.advance(1);
  e = f.entry(db::outbox, 1);
  REQUIRE(e);
  CHECK(e->attempts == 2);
  CHECK(e->next_attempt_at == f.now + 300);

  f.advance(300);
  CHECK_FALSE(f.entry(db::outbox, 1));
  auto dead = f.entry(db::dead, 1);
  REQUIRE(dead);
  CHECK(dead->attempts == 3);
  CHECK(f.stats.value("igbridge_deliveries_total", {{"outcome", "dead"}}) == 1);

  // The operator fixes the sink and replays the dead letter.
  f.ctx->cfg.sink.path = f.dir + "/imports.jsonl";
  caf::anon_send(delivery, replay_atom::value, uint64_t{1});
  f.sched->run();
  CHECK_FALSE(f.entry(db::dead, 1));
  CHECK_FALSE(f.entry(db::outbox, 1));
  auto lines = f.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("\"id\":\"instagram:1\"") != std::string::npos);
  caf::anon_send_exit(delivery, caf::exit_reason::user_shutdown);
  f.sched->run();
}

TEST_CASE("a JSONL batch is written in outbox order and leaves the outbox", "[delivery]") {
  fixture f;
  f.ctx->cfg.sink.path = f.dir + "/imports.jsonl";
  for (auto id : {"a", "b", "c"}) {
    f.queue(id);
  }
  auto delivery = spawn_delivery(*f.sys, f.ctx);
  f.sched->run();
  auto lines = f.lines();
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].find("instagram:a") != std::string::npos);
  CHECK(lines[2].find("instagram:c") != std::string::npos);
  CHECK(f.ctx->db->read().count(db::outbox) == 0);
  // A kick with nothing queued writes nothing more.
  caf::anon_send(delivery, kick_atom::value);
  f.sched->run();
  CHECK(f.lines().size() == 3);
  caf::anon_send_exit(delivery, caf::exit_reason::user_shutdown);
  f.sched->run();
}
