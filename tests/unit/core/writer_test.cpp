// The writer on the test coordinator: jobs that arrive while a commit is
// pending share one commit, a failing job fails alone, a batch that fills
// the map runs again in a grown one, and what a commit changed goes to
// on_commit before anyone hears of it.

#include <catch2/catch.hpp>

#include "../support/actor_fixture.hpp"
#include "igbridge/mutations.hpp"
#include "igbridge/store/meta.hpp"

using namespace igbridge;
using namespace igbridge::test;

namespace {

/// Sends each job to the writer from an actor of its own and keeps the
/// answers, in order of the jobs.
struct job_runner {
  explicit job_runner(actor_fixture& f) : f(f) {}

  void send(write_job job) {
    auto i = results.size();
    results.emplace_back();
    auto out = &results;
    auto writer = f.actors.writer;
    // CAF 0.17 binds an empty argument tuple through a null pointer (UBSan
    // says so): the spawned function takes one argument it ignores.
    f.sys->spawn([=](caf::event_based_actor* self, int) {
      self->request(writer, std::chrono::seconds(10), write_atom::value, job)
        .then([=](write_result& r) { (*out)[i] = r; }, [](caf::error&) {});
    }, 0);
  }

  actor_fixture& f;
  std::vector<write_result> results;
};

write_job put_job(std::string key, std::string value) {
  return {[key, value](write_txn& txn, write_notes&) { txn.put(db::resume, key, value); }, "put"};
}

} // namespace

TEST_CASE("jobs that arrive together share one commit", "[writer]") {
  actor_fixture f;
  f.start();
  auto before = f.stats.value("igbridge_store_commits_total");
  job_runner run{f};
  for (int i = 0; i < 5; ++i) {
    run.send(put_job("k" + std::to_string(i), "v"));
  }
  f.run();
  for (auto& r : run.results) {
    CHECK(r.ok);
  }
  CHECK(f.stats.value("igbridge_store_commits_total") - before == 1);
  CHECK(f.read().count(db::resume) == 5);
}

TEST_CASE("a failing job fails alone; the others of its commit commit", "[writer]") {
  actor_fixture f;
  f.start();
  job_runner run{f};
  run.send(put_job("a", "1"));
  run.send({[](write_txn& txn, write_notes&) {
              txn.put(db::resume, "b", "half done");
              throw std::runtime_error("this job breaks");
            },
            "broken"});
  run.send(put_job("c", "3"));
  f.run();
  REQUIRE(run.results.size() == 3);
  CHECK(run.results[0].ok);
  CHECK_FALSE(run.results[1].ok);
  CHECK(run.results[1].error == "this job breaks");
  CHECK(run.results[2].ok);
  auto txn = f.read();
  CHECK(txn.get(db::resume, "a"));
  CHECK_FALSE(txn.get(db::resume, "b")); // its half-done write vanished with it
  CHECK(txn.get(db::resume, "c"));
  CHECK(f.stats.value("igbridge_store_jobs_total", {{"result", "failed"}}) == 1);
}

TEST_CASE("a batch that fills the map runs again, from scratch, in a grown map", "[writer]") {
  actor_fixture f; // a 1 MiB map
  f.start();
  auto runs = std::make_shared<int>(0);
  job_runner run{f};
  run.send(put_job("small", "x"));
  run.send({[runs](write_txn& txn, write_notes&) {
              ++*runs;
              txn.put(db::resume, "big", std::string(3u << 20, 'b'));
            },
            "big"});
  f.run();
  REQUIRE(run.results.size() == 2);
  CHECK(run.results[0].ok);
  CHECK(run.results[1].ok);
  CHECK(*runs >= 2); // the first run met a full map
  CHECK(f.stats.value("igbridge_store_map_growths_total") >= 1);
  CHECK(f.read().get(db::resume, "big")->size() == (3u << 20));
  CHECK(f.ctx->db->usage().second > (std::size_t{1} << 20));
}

TEST_CASE("what a commit changed reaches on_commit, once, and never an aborted job's",
          "[writer]") {
  actor_fixture f;
  f.ctx->db->capture(true);
  std::vector<mutation_list> batches;
  f.ctx->on_commit = [&](const std::string& m) {
    batches.push_back(decode_mutations(m).value());
    return true;
  };
  f.start();
  job_runner run{f};
  run.send(put_job("a", "1"));
  run.send({[](write_txn& txn, write_notes&) {
              txn.put(db::resume, "b", "2");
              throw std::runtime_error("no");
            },
            "broken"});
  run.send({[](write_txn& txn, write_notes&) { txn.del(db::resume, "a"); }, "del"});
  f.run();
  f.ctx->on_commit = nullptr;
  REQUIRE(batches.size() == 1);
  // A removal carries the value it removed (what tells a change to its
  // user where only the value names it); replay ignores it.
  CHECK(batches[0] == mutation_list{{db::resume, mutation::kind::put, "a", "1"},
                                    {db::resume, mutation::kind::del_key, "a", "1"}});
}

TEST_CASE("in cluster mode a job may change only users of shards the node owns",
          "[writer][cluster]") {
  actor_fixture f;
  f.ctx->db->capture(true);
  f.ctx->writes_for = [](std::string_view user) { return user != "stranger"; };
  f.start();
  job_runner run{f};
  run.send(put_job("mine", "1"));   // resume is keyed by the user
  run.send(put_job("stranger", "2"));
  run.send({[](write_txn& txn, write_notes&) { txn.put(db::counters, "stranger", "3"); },
            "a node's own record"});
  f.run();
  f.ctx->writes_for = nullptr;
  CHECK(run.results[0].ok);
  CHECK_FALSE(run.results[1].ok);
  CHECK(run.results[1].error.find("not owned") != std::string::npos);
  CHECK(run.results[2].ok);
  CHECK(f.read().get(db::resume, "mine"));
  CHECK_FALSE(f.read().get(db::resume, "stranger"));
}

TEST_CASE("a commit the changelog refused is answered as failed", "[writer][cluster]") {
  actor_fixture f;
  f.ctx->db->capture(true);
  f.ctx->on_commit = [](const std::string&) { return false; };
  f.start();
  job_runner run{f};
  run.send(put_job("a", "1"));
  f.run();
  f.ctx->on_commit = nullptr;
  CHECK_FALSE(run.results[0].ok);
  CHECK(run.results[0].error.find("changelog") != std::string::npos);
}

TEST_CASE("an unlogged job commits after the gathered batch and is not published",
          "[writer][cluster]") {
  actor_fixture f;
  f.ctx->db->capture(true);
  std::vector<std::string> published;
  f.ctx->on_commit = [&](const std::string& m) {
    published.push_back(m);
    return true;
  };
  f.start();
  job_runner run{f};
  run.send(put_job("a", "1"));
  bool restored = false;
  f.sys->spawn([&](caf::event_based_actor* self, int) {
    write_job job{[](write_txn& txn, write_notes&) {
                    // Sees what was sent before it, committed.
                    if (!txn.get(db::resume, "a")) {
                      throw std::runtime_error("ran before the batch");
                    }
                    txn.put(db::resume, "restored", "x");
                  },
                  "restore"};
    self->request(f.actors.writer, std::chrono::seconds(10), unlogged_atom::value, job)
      .then([&](write_result& r) { restored = r.ok; }, [](caf::error&) {});
  }, 0);
  f.run();
  f.ctx->on_commit = nullptr;
  CHECK(run.results[0].ok);
  CHECK(restored);
  REQUIRE(published.size() == 1);
  CHECK(decode_mutations(published[0]).value()
        == mutation_list{{db::resume, mutation::kind::put, "a", "1"}});
  CHECK(f.read().get(db::resume, "restored"));
}
