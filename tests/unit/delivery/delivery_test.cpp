// The delivery actor under CAF's test coordinator: retries, dead letters and
// replay with an injected clock, so the retry schedule is walked without
// sleeping; and the due index, so only due records are read.

#include <catch2/catch.hpp>

#include <fstream>

#include "../support/actor_fixture.hpp"
#include "igbridge/store/outbox.hpp"
#include "igbridge/tables.hpp"

using namespace igbridge;
using igbridge::test::actor_fixture;

namespace {

void queue(actor_fixture& f, const std::string& media_id, int64_t at = 0,
           const std::string& user = "alice") {
  outbox_entry e;
  e.id = "instagram:" + media_id;
  e.user = user;
  e.created_at = f.now;
  e.next_attempt_at = at == 0 ? f.now : at;
  e.data = R"({"id":"instagram:)" + media_id + R"(","media_id":")" + media_id + R"("})";
  auto txn = f.ctx->db->write();
  write_notes notes;
  outbox::append(txn, notes, e);
  txn.commit();
}

std::vector<std::string> lines(const actor_fixture& f) {
  std::ifstream in(f.ctx->cfg.sink.path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) {
    out.push_back(l);
  }
  return out;
}

} // namespace

TEST_CASE("failed deliveries walk the retry schedule, then become dead letters",
          "[delivery]") {
  actor_fixture f;
  // A directory where the file should be: every append fails.
  auto good_path = f.ctx->cfg.sink.path;
  f.ctx->cfg.sink.path = f.dir.path() + "/blocked";
  std::filesystem::create_directories(f.ctx->cfg.sink.path);
  queue(f, "1");
  f.start();
  auto e = outbox::get(f.read(), 1);
  REQUIRE(e);
  CHECK(e->attempts == 1);
  CHECK(e->next_attempt_at == f.now + 5);
  CHECK(f.read().count(db::outbox_due) == 1);

  f.advance(4); // not due yet: nothing happens
  CHECK(outbox::get(f.read(), 1)->attempts == 1);

  f.advance(1);
  e = outbox::get(f.read(), 1);
  REQUIRE(e);
  CHECK(e->attempts == 2);
  CHECK(e->next_attempt_at == f.now + 300);

  f.advance(300);
  CHECK_FALSE(outbox::get(f.read(), 1));
  CHECK(f.read().count(db::outbox_due) == 0);
  auto dead = outbox::get_dead(f.read(), 1);
  REQUIRE(dead);
  CHECK(dead->attempts == 3);
  CHECK(f.stats.value("igbridge_deliveries_total", {{"outcome", "dead"}}) == 1);

  // The operator fixes the sink and replays the dead letter.
  f.ctx->cfg.sink.path = good_path;
  caf::anon_send(f.actors.delivery, replay_atom::value, uint64_t{1});
  f.run();
  CHECK_FALSE(outbox::get_dead(f.read(), 1));
  CHECK_FALSE(outbox::get(f.read(), 1));
  auto l = lines(f);
  REQUIRE(l.size() == 1);
  CHECK(l[0].find("\"id\":\"instagram:1\"") != std::string::npos);
}

TEST_CASE("a JSONL batch is written in outbox order and leaves the outbox", "[delivery]") {
  actor_fixture f;
  for (auto id : {"a", "b", "c"}) {
    queue(f, id);
  }
  f.start();
  auto l = lines(f);
  REQUIRE(l.size() == 3);
  CHECK(l[0].find("instagram:a") != std::string::npos);
  CHECK(l[2].find("instagram:c") != std::string::npos);
  CHECK(f.read().count(db::outbox) == 0);
  CHECK(f.read().count(db::outbox_due) == 0);
  // A kick with nothing queued writes nothing more.
  caf::anon_send(f.actors.delivery, kick_atom::value);
  f.run();
  CHECK(lines(f).size() == 3);
}

TEST_CASE("records not yet due wait for their time", "[delivery]") {
  actor_fixture f;
  queue(f, "later", f.now + 100, "bob");
  queue(f, "now");
  f.start();
  auto l = lines(f);
  REQUIRE(l.size() == 1);
  CHECK(l[0].find("instagram:now") != std::string::npos);
  f.advance(99);
  CHECK(lines(f).size() == 1);
  f.advance(1);
  CHECK(lines(f).size() == 2);
}

TEST_CASE("a user's events go in the order they were committed", "[delivery]") {
  actor_fixture f;
  // The user's first entry waits for its retry: the second, due now,
  // waits behind it; another user's entry does not.
  queue(f, "first", f.now + 100);
  queue(f, "second");
  queue(f, "other", 0, "bob");
  f.start();
  auto l = lines(f);
  REQUIRE(l.size() == 1);
  CHECK(l[0].find("instagram:other") != std::string::npos);
  f.advance(100);
  l = lines(f);
  REQUIRE(l.size() == 3);
  CHECK(l[1].find("instagram:first") != std::string::npos);
  CHECK(l[2].find("instagram:second") != std::string::npos);
}

TEST_CASE("a user's consecutive entries share one JSONL batch, in order", "[delivery]") {
  // The file keeps a batch's order and takes it whole or not at all, so
  // one user's backlog needs no write and commit per record.
  actor_fixture f;
  for (auto id : {"1", "2", "3", "4", "5"}) {
    queue(f, id);
  }
  queue(f, "b", 0, "bob");
  f.start();
  auto l = lines(f);
  REQUIRE(l.size() == 6);
  std::vector<std::string> alice;
  for (const auto& line : l) {
    if (line.find("instagram:b") == std::string::npos) {
      alice.push_back(line);
    }
  }
  REQUIRE(alice.size() == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK(alice[i].find("instagram:" + std::to_string(i + 1)) != std::string::npos);
  }
  auto text = f.ctx->stats.render();
  CHECK(text.find("igbridge_delivery_duration_seconds_count{sink=\"jsonl\"} 1\n")
        != std::string::npos);
  CHECK(f.read().count(db::outbox) == 0);
}

TEST_CASE("a dead letter holds its user's later events until it is dropped", "[delivery]") {
  actor_fixture f;
  auto good_path = f.ctx->cfg.sink.path;
  f.ctx->cfg.sink.path = f.dir.path() + "/blocked";
  std::filesystem::create_directories(f.ctx->cfg.sink.path);
  queue(f, "1");
  f.start();
  f.advance(5);
  f.advance(300);
  REQUIRE(outbox::get_dead(f.read(), 1));
  CHECK(outbox::held(f.read(), "alice"));
  CHECK(outbox::held_users(f.read(), 10) == std::vector<std::string>{"alice"});

  // The sink works again, but alice's next event waits behind her dead
  // letter; bob's goes.
  f.ctx->cfg.sink.path = good_path;
  queue(f, "2");
  queue(f, "3", 0, "bob");
  caf::anon_send(f.actors.delivery, kick_atom::value);
  f.run();
  auto l = lines(f);
  REQUIRE(l.size() == 1);
  CHECK(l[0].find("instagram:3") != std::string::npos);

  caf::anon_send(f.actors.delivery, drop_atom::value, uint64_t{1});
  f.run();
  CHECK_FALSE(outbox::get_dead(f.read(), 1));
  CHECK_FALSE(outbox::held(f.read(), "alice"));
  l = lines(f);
  REQUIRE(l.size() == 2);
  CHECK(l[1].find("instagram:2") != std::string::npos);
}
