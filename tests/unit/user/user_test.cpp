// The user actor with the registry, scheduler and writer under CAF's test
// coordinator: link, hint, fetch, failure, unlink, erase and passivation,
// with the provider scripted and the clock moved by the test.

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "../support/actor_fixture.hpp"
#include "igbridge/clock.hpp"
#include "igbridge/schedule.hpp"
#include "igbridge/store/imports.hpp"
#include "igbridge/store/outbox.hpp"
#include "igbridge/tables.hpp"

using namespace igbridge;
using igbridge::test::actor_fixture;
using igbridge::test::recorded;

namespace {

std::string page(const actor_fixture& f,
                 std::vector<std::pair<std::string, std::string>> posts) {
  auto data = nlohmann::json::array();
  int64_t t = f.now - 10;
  for (auto& [id, caption] : posts) {
    nlohmann::json p{{"id", id},
                     {"media_type", "IMAGE"},
                     {"media_url", "https://cdn.example/" + id + ".jpg"},
                     {"permalink", "https://www.instagram.com/p/" + id},
                     {"timestamp", rfc3339(t--)}};
    if (!caption.empty()) {
      p["caption"] = caption;
    }
    data.push_back(p);
  }
  return nlohmann::json{{"data", data}, {"paging", nlohmann::json::object()}}.dump();
}

void link(actor_fixture& f, const std::string& user, const std::string& ig) {
  link_grant lg;
  lg.grant.access_token = "token-" + user;
  lg.grant.user_id = ig;
  lg.grant.app_scoped_id = "app-" + ig;
  lg.grant.username = user + ".eats";
  lg.grant.expires_in = 5'184'000;
  lg.issued_at = f.now;
  caf::anon_send(f.actors.registry, link_atom::value, user, lg);
  f.run();
}

user_record record(actor_fixture& f, const std::string& user) {
  auto r = tables::users.get(f.read(), user);
  REQUIRE(r);
  return *r;
}

[[maybe_unused]] std::size_t outbox_of(actor_fixture& f, const char* type) {
  std::size_t n = 0;
  outbox::each(f.read(), false, [&](const outbox_entry& e) {
    n += std::string(to_string(e.type)) == type ? 1 : 0;
    return true;
  });
  return n;
}

/// Everything delivered to the JSONL sink so far.
std::string sink_text(const actor_fixture& f) {
  std::ifstream jsonl(f.ctx->cfg.sink.path);
  return {std::istreambuf_iterator<char>(jsonl), std::istreambuf_iterator<char>()};
}

std::shared_ptr<recorded> send_hint(actor_fixture& f, const std::string& ig) {
  auto r = std::make_shared<recorded>();
  caf::anon_send(f.actors.writer, hint_batch{{ig}, r, std::chrono::steady_clock::now()});
  f.run();
  return r;
}

int64_t schedule_of(actor_fixture& f, const std::string& user) {
  int64_t at = 0;
  tables::schedule.each(f.read(), [&](const when& w, const unit_codec::type&) {
    if (w.user == user) {
      at = w.at;
    }
    return true;
  });
  return at;
}

/// A linked user whose hinted fetch got its first page (m3, m2, and a next
/// page after=c1): the user actor alone has run, so page 1's write is on
/// its way to the writer, not committed, and page 2 is asked for.
void answer_first_of_two_pages(actor_fixture& f) {
  f.start();
  link(f, "alice", "1784");
  f.http.answer(200, page(f, {})); // the initial fetch finds nothing yet
  f.run();
  send_hint(f, "1784");
  f.advance(60);
  REQUIRE(f.http.calls.size() == 1);
  auto first = nlohmann::json::parse(page(f, {{"m3", "Dinner #ed"}, {"m2", "Lunch #ed"}}));
  first["paging"]["next"] = "https://graph.example/me/media?after=c1&access_token=t";
  f.http.answer(200, first.dump());
  f.sched->run_once();
}

/// Alice's initial fetch is out when a deauthorize's unlink reaches her
/// actor; the fetch is answered (`status`, `body`) after her actor sent the
/// unlink's write and before the writer ran it, then everything runs.
void answer_after_unlink_sent(actor_fixture& f, int status, std::string body) {
  f.start();
  link(f, "alice", "1784");
  REQUIRE(f.http.calls.size() == 1); // the initial fetch is out
  caf::anon_send(f.actors.registry, unlink_atom::value, std::string("alice"), false,
                 std::string("deauthorized"));
  f.sched->run_once(); // the registry hands it to alice's actor
  f.sched->run_once(); // which sends the unlink's write to the writer
  f.http.answer(status, std::move(body));
  f.sched->run_once_lifo(); // alice's actor takes the answer before the writer runs
  f.run();
}

} // namespace

TEST_CASE("a link stores the grant, fetches at once and plans the next poll", "[user]") {
  actor_fixture f;
  f.start();
  link(f, "alice", "1784");
  auto rec = record(f, "alice");
  CHECK(rec.state == user_state::active);
  CHECK(rec.app_scoped_id == "app-1784");
  CHECK(f.read().get_all(db::ig_index, "1784") == std::vector<std::string>{"alice"});
  CHECK(f.read().get_all(db::ig_index, "app-1784") == std::vector<std::string>{"alice"});
  CHECK(tables::counters.get(f.read(), "users.active") == 1);
  // The initial fetch is out.
  REQUIRE(f.http.calls.size() == 1);
  CHECK(f.http.calls.front().request.url.find("/me/media") != std::string::npos);
  f.http.answer(200, page(f, {{"m1", "Soup #ed"}, {"m2", "Run"}}));
  f.run();
  rec = record(f, "alice");
  CHECK(rec.imported == 1);
  CHECK(rec.seen_count == 2);
  CHECK(rec.initial_fetch_done);
  CHECK(rec.next_fetch_at >= f.now + 900);
  CHECK(schedule_of(f, "alice") == rec.next_fetch_at);
  CHECK(f.read().count(db::seen) == 2);
  CHECK(f.stats.value("igbridge_media_total", {{"result", "imported"}}) == 1);
  // Delivered to the JSONL file by the delivery actor: account.linked,
  // then the import.
  CHECK(f.read().count(db::outbox) == 0);
  CHECK(f.stats.value("igbridge_deliveries_total", {{"outcome", "delivered"}}) == 2);
}

TEST_CASE("an idle user actor passivates and a hint wakes it on time", "[user]") {
  actor_fixture f;
  f.start();
  link(f, "alice", "1784");
  f.http.answer(200, page(f, {}));
  f.run();
  CHECK(f.stats.value("igbridge_user_actors") == 1);
  f.advance(31); // idle_s passed: it asks the registry and goes
  CHECK(f.stats.value("igbridge_user_passivations_total") == 1);
  CHECK(f.stats.value("igbridge_user_actors") == 0);

  // A webhook for the account: 200 only after the hint is committed.
  auto r = send_hint(f, "1784");
  REQUIRE(r->answers.size() == 1);
  CHECK(r->answers[0].status == 200);
  CHECK(r->answers[0].body.find("\"hinted\":1") != std::string::npos);
  auto h = tables::hints.get(f.read(), "alice");
  REQUIRE(h);
  CHECK(hint_fetch_at(*h, 60) == f.now + 60);
  CHECK(f.http.calls.empty()); // nobody woke the actor for it yet
  CHECK(f.stats.value("igbridge_user_actors") == 0);

  f.advance(59);
  CHECK(f.http.calls.empty());
  f.advance(1); // due: the scheduler wakes the user, the registry activates it
  REQUIRE(f.http.calls.size() == 1);
  CHECK(f.stats.value("igbridge_user_activations_total") == 2);
  f.http.answer(200, page(f, {{"m9", "Late lunch #ed"}}));
  f.run();
  CHECK(record(f, "alice").imported == 1);
  CHECK_FALSE(tables::hints.get(f.read(), "alice")); // discharged
  CHECK(f.read().count(db::hint_due) == 0);
}

TEST_CASE("a hint received during a fetch is kept for a later one", "[user]") {
  actor_fixture f;
  f.start();
  link(f, "alice", "1784");
  REQUIRE(f.http.calls.size() == 1);
  send_hint(f, "1784"); // while the initial fetch waits for the provider
  f.http.answer(200, page(f, {}));
  f.run();
  // The fetch began before the hint was due: it stays.
  REQUIRE(tables::hints.get(f.read(), "alice"));
  f.advance(60);
  REQUIRE(f.http.calls.size() == 1);
  f.http.answer(200, page(f, {}));
  f.run();
  CHECK_FALSE(tables::hints.get(f.read(), "alice"));
}

/// Answers the page request and its three quick retries (after about 1, 2
/// and 4 s) with the same transient failure.
void fail_with_retries(actor_fixture& f, int status, const std::string& body) {
  for (int attempt = 0; attempt <= transient_retries; ++attempt) {
    REQUIRE(f.http.calls.size() == 1);
    f.http.answer(status, body);
    f.run();
    if (attempt < transient_retries) {
      CHECK(f.http.calls.empty()); // not at once: after a short wait
      f.advance(5);
    }
  }
}

TEST_CASE("a failed fetch backs off and keeps the hint from retrying early", "[user]") {
  actor_fixture f;
  f.start();
  link(f, "alice", "1784");
  fail_with_retries(f, 500, R"({"error":{"message":"oops","code":100}})");
  auto rec = record(f, "alice");
  CHECK(rec.fetch_failures == 1);
  CHECK(rec.next_fetch_at == f.now + 60);
  CHECK(rec.last_error.find("server") != std::string::npos);
  CHECK(tables::attention.get(f.read(), "alice")); // shown to the operator
  f.advance(59);
  CHECK(f.http.calls.empty());
  f.advance(1);
  REQUIRE(f.http.calls.size() == 1); // retried on its own
  f.http.answer(200, page(f, {}));
  f.run();
  CHECK(record(f, "alice").fetch_failures == 0);
  CHECK_FALSE(tables::attention.get(f.read(), "alice"));
}

TEST_CASE("an invalid token needs re-linking and tells the host", "[user]") {
  actor_fixture f;
  f.start();
  link(f, "alice", "1784");
  f.http.answer(400, R"({"error":{"message":"expired","type":"OAuthException","code":190}})");
  f.run();
  auto rec = record(f, "alice");
  CHECK(rec.state == user_state::reauth_required);
  CHECK(rec.token.empty());
  CHECK(schedule_of(f, "alice") == 0);
  CHECK(tables::counters.get(f.read(), "users.active") == 0);
  CHECK(tables::counters.get(f.read(), "users.reauth_required") == 1);
  // account.linked, then account.needs_relink and link.revoked went to the
  // JSONL sink.
  CHECK(f.stats.value("igbridge_deliveries_total", {{"outcome", "delivered"}}) == 3);
  CHECK(f.stats.value("igbridge_link_revocations_total", {{"reason", "token_invalid"}}) == 1);
}

TEST_CASE("a token failure answered after an unlink was sent leaves the user unlinked",
          "[user]") {
  // The deauthorize's unlink reaches the user while its fetch is out; the
  // fetch then fails on the revoked token before the unlink commits. The
  // failure was the ended link's: the user stays unlinked (seen in CI, where
  // the user came out reauth_required).
  actor_fixture f;
  answer_after_unlink_sent(
    f, 400, R"({"error":{"message":"revoked","type":"OAuthException","code":190}})");
  auto rec = record(f, "alice");
  CHECK(rec.state == user_state::unlinked);
  CHECK(f.stats.value("igbridge_link_revocations_total", {{"reason", "token_invalid"}}) == 0);
  auto sent = sink_text(f);
  CHECK(sent.find("account.unlinked") != std::string::npos);
  CHECK(sent.find("account.needs_relink") == std::string::npos);
}

TEST_CASE("a page answered after an unlink was sent imports nothing", "[user]") {
  // As above, with the fetch's page arriving in that window: its posts were
  // the ended link's, and the host must hear nothing after account.unlinked.
  actor_fixture f;
  answer_after_unlink_sent(f, 200, page(f, {{"m1", "Soup #ed"}}));
  auto rec = record(f, "alice");
  CHECK(rec.state == user_state::unlinked);
  CHECK(rec.imported == 0);
  CHECK(f.read().count(db::seen) == 0);
  CHECK(f.stats.value("igbridge_media_total", {{"result", "imported"}}) == 0);
  auto sent = sink_text(f);
  CHECK(sent.find("account.unlinked") != std::string::npos);
  CHECK(sent.find("Soup") == std::string::npos);
}

TEST_CASE("a permission error needs re-linking too", "[user]") {
  actor_fixture f;
  f.start();
  link(f, "alice", "1784");
  f.http.answer(400, R"({"error":{"message":"no permission","code":10}})");
  f.run();
  auto rec = record(f, "alice");
  CHECK(rec.state == user_state::reauth_required);
  CHECK(rec.last_error.find("permission") != std::string::npos);
}

TEST_CASE("an account's rate limit holds that account only", "[user]") {
  actor_fixture f;
  f.start();
  link(f, "alice", "1784");
  f.http.answer(400, R"({"error":{"message":"limit","code":80002}})",
                {{"X-Business-Use-Case-Usage",
                  R"({"1784":[{"type":"instagram","call_count":100,"estimated_time_to_regain_access":5}]})"}});
  f.run();
  CHECK(record(f, "alice").next_fetch_at == f.now + 300);
  CHECK(f.ctx->throttle_until.load() == 0); // the app is not held
  link(f, "bob", "1785");
  CHECK(f.http.calls.size() == 1); // bob fetches
}

TEST_CASE("unlink stops polling; erase leaves nothing behind", "[user]") {
  actor_fixture f;
  f.start();
  link(f, "alice", "1784");
  f.http.answer(200, page(f, {{"m1", "Soup #ed"}}));
  f.run();
  send_hint(f, "1784");
  caf::anon_send(f.actors.registry, unlink_atom::value, std::string("alice"), false,
                 std::string("disconnected by admin"));
  f.run();
  auto rec = record(f, "alice");
  CHECK(rec.state == user_state::unlinked);
  CHECK(schedule_of(f, "alice") == 0);
  CHECK_FALSE(tables::hints.get(f.read(), "alice"));
  // A webhook for an unlinked account hints nobody.
  auto r = send_hint(f, "1784");
  CHECK(r->answers[0].body.find("\"hinted\":0") != std::string::npos);

  caf::anon_send(f.actors.registry, erase_atom::value, std::string("alice"),
                 std::string("data deletion"));
  f.run();
  auto txn = f.read();
  CHECK_FALSE(tables::users.get(txn, "alice"));
  for (auto d : {db::seen, db::seen_order, db::hints, db::hint_due, db::schedule, db::outbox,
                 db::outbox_due, db::dead, db::attention, db::resume}) {
    INFO(static_cast<int>(d));
    CHECK(txn.count(d) == 0);
  }
  CHECK(txn.get_all(db::ig_index, "1784").empty());
  CHECK(txn.get_all(db::ig_index, "app-1784").empty());
  auto latest = tables::dashboard.get(txn, "latest").value_or("[]");
  CHECK(latest.find("alice") == std::string::npos);
  CHECK(tables::counters.get(txn, "users.unlinked") == 0);
}

TEST_CASE("per-user rules decide what the next fetch imports", "[user]") {
  actor_fixture f;
  f.start();
  link(f, "alice", "1784");
  f.http.answer(200, page(f, {}));
  f.run();
  caf::anon_send(f.actors.registry, rules_atom::value, std::string("alice"),
                 user_rules{{"soup"}, {}});
  f.run();
  REQUIRE(record(f, "alice").rules);
  // New rules walk the history back (DESIGN §9): one empty page ends it.
  REQUIRE(f.http.calls.size() == 1);
  f.http.answer(200, page(f, {}));
  f.run();
  CHECK(record(f, "alice").backfill.state == backfill_state::done);
  caf::anon_send(f.actors.registry, fetch_now_atom::value, std::string("alice"));
  f.run();
  f.http.answer(200, page(f, {{"a", "Tomato #soup"}, {"b", "Salad #ed"}}));
  f.run();
  CHECK(record(f, "alice").imported == 1);
  auto e = tables::seen.get(f.read(), seen_key("alice", "b"));
  REQUIRE(e);
  CHECK(e->judged == verdict::untagged);
}

TEST_CASE("a backfill imports what the rules now match, once, and records its progress",
          "[user]") {
  actor_fixture f;
  f.start();
  link(f, "alice", "1784");
  f.http.answer(200, page(f, {{"a", "Tomato #ed"}}));
  f.run();
  REQUIRE(record(f, "alice").imported == 1);
  caf::anon_send(f.actors.registry, backfill_atom::value, std::string("alice"), int64_t{0});
  f.run();
  REQUIRE(f.http.calls.size() == 1);
  // "a" was imported at link: it is not imported again; "c" is untagged.
  f.http.answer(200, page(f, {{"b", "Soup #ed"}, {"a", "Tomato #ed"}, {"c", "Cake"}}));
  f.run();
  auto rec = record(f, "alice");
  CHECK(rec.imported == 2);
  CHECK(rec.backfill.state == backfill_state::done);
  CHECK(rec.backfill.scanned == 3);
  CHECK(rec.backfill.imported == 1);
  CHECK(imports::get(f.read(), "alice", "b"));
  CHECK(!imports::get(f.read(), "alice", "c"));
}

TEST_CASE("the next page is asked for before the page before commits, and a post on both "
          "pages is imported once",
          "[user]") {
  actor_fixture f;
  answer_first_of_two_pages(f);
  REQUIRE(f.http.calls.size() == 1);
  CHECK(f.http.calls.front().request.url.find("after=c1") != std::string::npos);
  CHECK(record(f, "alice").imported == 0); // page 1 is not committed yet
  // A new post shifted the pages: m2 comes again on page 2, planned before
  // page 1's commit saw it.
  f.http.answer(200, page(f, {{"m2", "Lunch #ed"}, {"m1", "Breakfast #ed"}}));
  f.sched->run_once_lifo(); // the user actor again, ahead of the writer
  CHECK(record(f, "alice").imported == 0);
  CHECK(f.stats.value("igbridge_media_total", {{"result", "imported"}}) == 0);
  f.run();
  auto rec = record(f, "alice");
  CHECK(rec.imported == 3);
  CHECK(rec.seen_count == 3);
  CHECK(f.stats.value("igbridge_media_total", {{"result", "imported"}}) == 3);
  CHECK(f.stats.value("igbridge_media_total", {{"result", "duplicate"}}) == 1);
  // The three imports and account.linked.
  CHECK(f.stats.value("igbridge_deliveries_total", {{"outcome", "delivered"}}) == 4);
  CHECK(f.read().count(db::seen) == 3);
  CHECK_FALSE(tables::resume.get(f.read(), "alice")); // the run finished
  CHECK_FALSE(tables::hints.get(f.read(), "alice"));
}

TEST_CASE("a fetch asked for while a failed fetch's pages commit starts after them and "
          "follows their cursor",
          "[user]") {
  actor_fixture f;
  answer_first_of_two_pages(f);
  REQUIRE(f.http.calls.size() == 1);
  f.http.answer(200, "not json"); // unreadable: the fetch fails, no quick retry
  f.sched->run_once_lifo(); // page 2 fails before page 1 has committed
  CHECK(record(f, "alice").imported == 0);
  caf::anon_send(f.actors.registry, fetch_now_atom::value, std::string("alice"));
  f.sched->run_once_lifo(); // the registry, ahead of the writer
  f.sched->run_once_lifo(); // the user actor: the fetch-now waits for page 1
  CHECK(f.http.calls.empty());
  f.run();
  // Page 1 committed with its cursor; only then did the new fetch start.
  CHECK(record(f, "alice").imported == 2);
  REQUIRE(f.http.calls.size() == 1);
  CHECK(f.http.calls.front().request.url.find("after=") == std::string::npos);
  f.http.answer(200, page(f, {{"m3", "Dinner #ed"}, {"m2", "Lunch #ed"}}));
  f.run();
  // Known posts: the fetch goes on where the failed one stopped.
  REQUIRE(f.http.calls.size() == 1);
  CHECK(f.http.calls.front().request.url.find("after=c1") != std::string::npos);
  f.http.answer(200, page(f, {{"m1", "Breakfast #ed"}}));
  f.run();
  CHECK(record(f, "alice").imported == 3);
  CHECK_FALSE(tables::resume.get(f.read(), "alice"));
}

// -- transient errors and rate-limit holds (DESIGN 9) ------------------------------

namespace {

/// fetch_now through the registry, as the admin API asks it.
int64_t fetch_now(actor_fixture& f, const std::string& user) {
  auto answer = std::make_shared<int64_t>(-2);
  auto registry = f.actors.registry;
  // CAF 0.17 binds an empty argument tuple through a null pointer (UBSan
  // says so): the spawned function takes one argument it ignores.
  f.sys->spawn([=](caf::event_based_actor* self, int) {
    self->request(registry, std::chrono::seconds(10), fetch_now_atom::value, user)
      .then([=](int64_t a) { *answer = a; }, [](caf::error&) {});
  }, 0);
  f.run();
  return *answer;
}

} // namespace

TEST_CASE("a transient burst in the middle of a paged fetch loses no cursor and takes no "
          "post twice",
          "[user]") {
  actor_fixture f;
  answer_first_of_two_pages(f);
  f.run(); // page 1 commits with its cursor
  // Page 2 is answered with Meta's transient code on HTTP 400, twice.
  for (int i = 0; i < 2; ++i) {
    REQUIRE(f.http.calls.size() == 1);
    CHECK(f.http.calls.front().request.url.find("after=c1") != std::string::npos);
    f.http.answer(400, R"({"error":{"message":"try again","type":"OAuthException","code":2,"is_transient":true}})");
    f.run();
    CHECK(f.http.calls.empty());
    f.advance(5);
  }
  // The third try of the same page gets through.
  REQUIRE(f.http.calls.size() == 1);
  CHECK(f.http.calls.front().request.url.find("after=c1") != std::string::npos);
  f.http.answer(200, page(f, {{"m2", "Lunch #ed"}, {"m1", "Breakfast #ed"}}));
  f.run();
  auto rec = record(f, "alice");
  CHECK(rec.imported == 3); // m3, m2, m1: m2 (on both pages) once
  CHECK(rec.fetch_failures == 0);
  CHECK_FALSE(tables::resume.get(f.read(), "alice"));
  CHECK(f.stats.value("igbridge_fetches_total", {{"outcome", "transient"}}) == 2);
}

TEST_CASE("transient errors past the quick retries keep the resume cursor", "[user]") {
  actor_fixture f;
  answer_first_of_two_pages(f);
  f.run();
  fail_with_retries(f, 400, R"({"error":{"message":"unknown","code":1}})");
  auto rec = record(f, "alice");
  CHECK(rec.fetch_failures == 1);
  CHECK(rec.last_error.find("transient") != std::string::npos);
  auto resume = tables::resume.get(f.read(), "alice");
  REQUIRE(resume);
  CHECK(resume->find("after=c1") != std::string::npos); // kept for the next fetch
}

TEST_CASE("80002 without an estimate backs off 60 s doubling, and fetch-now respects the hold",
          "[user]") {
  actor_fixture f;
  f.start();
  link(f, "alice", "1784");
  int64_t expected[] = {60, 120, 240, 480};
  for (auto want : expected) {
    REQUIRE(f.http.calls.size() == 1);
    f.http.answer(400, R"({"error":{"message":"too many calls","code":80002}})");
    f.run();
    auto rec = record(f, "alice");
    auto held = rec.next_fetch_at - f.now;
    INFO("expected about " << want);
    CHECK(held <= want);
    CHECK(held >= want * 4 / 5);
    CHECK(rec.held_until == rec.next_fetch_at); // shown by `users show`
    CHECK(public_view(rec)["held_until"].is_string());
    // During the hold, fetch-now answers its end and asks the provider nothing.
    CHECK(fetch_now(f, "alice") == rec.held_until);
    CHECK(f.http.calls.empty());
    f.advance(held);
  }
  REQUIRE(f.http.calls.size() == 1);
  f.http.answer(200, page(f, {}));
  f.run();
  CHECK(record(f, "alice").fetch_failures == 0);
  CHECK(fetch_now(f, "alice") == fetch_now_started);
  CHECK(f.http.calls.size() == 1);
}

TEST_CASE("fetch-now during an app-wide hold calls nothing", "[user]") {
  actor_fixture f;
  f.start();
  link(f, "alice", "1784");
  f.http.answer(200, page(f, {}));
  f.run();
  f.ctx->throttle(f.now + 90);
  CHECK(fetch_now(f, "alice") == f.now + 90);
  CHECK(f.http.calls.empty());
  CHECK(fetch_now(f, "nobody") == fetch_now_inactive);
}
