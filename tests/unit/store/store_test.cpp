#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <vector>

#include "igbridge/store.hpp"
#include "igbridge/store/imports.hpp"
#include "igbridge/store/inbox.hpp"
#include "igbridge/store/media_refs.hpp"
#include "igbridge/store/outbox.hpp"
#include "igbridge/store/users.hpp"
#include "igbridge/write_notes.hpp"
#include <nlohmann/json.hpp>
#include "igbridge/tables.hpp"
#include "temp_dir.hpp"

using namespace igbridge;
using igbridge::test::temp_dir;

namespace {

using kv = std::pair<std::string, std::string>;

constexpr std::size_t small_map = std::size_t{16} << 20;

std::vector<kv> scan_all(const read_txn& r, db d, std::string_view from = {}) {
  std::vector<kv> out;
  r.scan(d, from, [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
    return true;
  });
  return out;
}

std::vector<kv> scan_prefix_all(const read_txn& r, db d, std::string_view prefix) {
  std::vector<kv> out;
  r.scan_prefix(d, prefix, [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
    return true;
  });
  return out;
}

} // namespace

TEST_CASE("a new store creates its directory and records the schema", "[store]") {
  temp_dir tmp;
  auto dir = tmp.path() + "/a/b/db";
  store s{dir, small_map};
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  CHECK(s.path() == dir);
  CHECK(s.read().get(db::meta, "schema_version") == std::to_string(schema_version));
  auto [used, size] = s.usage();
  CHECK(size == small_map);
  CHECK(used > 0);
  CHECK(used <= size);
}

TEST_CASE("put, get, del and count", "[store]") {
  temp_dir tmp;
  store s{tmp.path(), small_map};
  {
    auto w = s.write();
    w.put(db::users, "alice", "A");
    w.put(db::users, "bob", "B");
    w.put(db::users, "bob", "B2"); // overwrite
    w.put(db::seen, std::string("alice\0m1", 8), "123");
    CHECK(w.get(db::users, "bob") == std::string("B2")); // own writes visible
    w.commit();
  }
  auto r = s.read();
  CHECK(r.get(db::users, "alice") == std::string("A"));
  CHECK(r.get(db::users, "bob") == std::string("B2"));
  CHECK_FALSE(r.get(db::users, "carol"));
  CHECK_FALSE(r.get(db::outbox, "alice")); // databases are separate
  CHECK(r.get(db::seen, std::string("alice\0m1", 8)) == std::string("123"));
  CHECK(r.count(db::users) == 2);
  CHECK(r.count(db::dead) == 0);

  {
    auto w = s.write();
    CHECK(w.del(db::users, "alice"));
    CHECK_FALSE(w.del(db::users, "alice"));
    CHECK_FALSE(w.del(db::users, "nobody"));
    w.commit();
  }
  // A read transaction is a snapshot: the old one still sees alice.
  CHECK(r.get(db::users, "alice") == std::string("A"));
  CHECK_FALSE(s.read().get(db::users, "alice"));
}

TEST_CASE("uncommitted writes vanish", "[store]") {
  temp_dir tmp;
  store s{tmp.path(), small_map};
  {
    auto w = s.write();
    w.put(db::users, "ghost", "x");
  } // destroyed without commit: aborted
  CHECK_FALSE(s.read().get(db::users, "ghost"));
  CHECK(s.read().count(db::users) == 0);
}

TEST_CASE("a finished transaction refuses further use", "[store]") {
  temp_dir tmp;
  store s{tmp.path(), small_map};
  auto w = s.write();
  w.put(db::users, "a", "1");
  w.commit();
  CHECK_THROWS_AS(w.commit(), store_error);
  CHECK_THROWS_AS(w.put(db::users, "b", "2"), store_error);
  CHECK_THROWS_AS(w.get(db::users, "a"), store_error);
}

TEST_CASE("moving a transaction leaves the source empty", "[store]") {
  temp_dir tmp;
  store s{tmp.path(), small_map};
  auto w = s.write();
  w.put(db::users, "a", "1");
  write_txn w2{std::move(w)};
  CHECK_THROWS_AS(w.get(db::users, "a"), store_error);
  CHECK(w2.get(db::users, "a") == std::string("1"));
  w2.commit();
  CHECK(s.read().get(db::users, "a") == std::string("1"));

  auto r = s.read();
  read_txn r2{std::move(r)};
  CHECK(r2.get(db::users, "a") == std::string("1"));
  CHECK_THROWS_AS(r.count(db::users), store_error);
}

TEST_CASE("scan visits keys in order from a start key", "[store]") {
  temp_dir tmp;
  store s{tmp.path(), small_map};
  {
    auto w = s.write();
    for (auto k : {"b", "a", "c/2", "c/1", "d"}) {
      w.put(db::users, k, std::string("v") + k);
    }
    w.commit();
  }
  auto r = s.read();
  CHECK(scan_all(r, db::users)
        == std::vector<kv>{{"a", "va"}, {"b", "vb"}, {"c/1", "vc/1"}, {"c/2", "vc/2"}, {"d", "vd"}});
  CHECK(scan_all(r, db::users, "bb")
        == std::vector<kv>{{"c/1", "vc/1"}, {"c/2", "vc/2"}, {"d", "vd"}});
  CHECK(scan_all(r, db::users, "z").empty());
  CHECK(scan_all(r, db::outbox).empty());

  SECTION("stops when the visitor says so") {
    int n = 0;
    r.scan(db::users, "", [&](std::string_view, std::string_view) { return ++n < 2; });
    CHECK(n == 2);
  }
  SECTION("scan_prefix") {
    CHECK(scan_prefix_all(r, db::users, "c/") == std::vector<kv>{{"c/1", "vc/1"}, {"c/2", "vc/2"}});
    CHECK(scan_prefix_all(r, db::users, "x").empty());
    CHECK(scan_prefix_all(r, db::users, "").size() == 5);
  }
}

TEST_CASE("seen keys of one user scan by prefix", "[store]") {
  temp_dir tmp;
  store s{tmp.path(), small_map};
  const std::string alice("alice\0", 6);
  const std::string alice2("alice2\0", 7);
  {
    auto w = s.write();
    w.put(db::seen, alice + "m1", "1");
    w.put(db::seen, alice + "m2", "2");
    w.put(db::seen, alice2 + "m9", "9");
    w.commit();
  }
  auto got = scan_prefix_all(s.read(), db::seen, alice);
  REQUIRE(got.size() == 2);
  CHECK(got[0].first == alice + "m1");
  CHECK(got[1].first == alice + "m2");
}

TEST_CASE("ig_index keeps several app users per Instagram id", "[store]") {
  temp_dir tmp;
  store s{tmp.path(), small_map};
  {
    auto w = s.write();
    w.put(db::ig_index, "178", "carol");
    w.put(db::ig_index, "178", "alice");
    w.put(db::ig_index, "178", "alice"); // same pair again: no duplicate
    w.put(db::ig_index, "179", "bob");
    w.commit();
  }
  CHECK(scan_prefix_all(s.read(), db::ig_index, "178")
        == std::vector<kv>{{"178", "alice"}, {"178", "carol"}});
  CHECK(s.read().count(db::ig_index) == 3);
  {
    auto w = s.write();
    CHECK(w.del(db::ig_index, "178", "alice"));
    CHECK_FALSE(w.del(db::ig_index, "178", "alice"));
    CHECK_FALSE(w.del(db::ig_index, "178", "nobody"));
    w.commit();
  }
  CHECK(scan_all(s.read(), db::ig_index) == std::vector<kv>{{"178", "carol"}, {"179", "bob"}});
  {
    auto w = s.write();
    w.put(db::ig_index, "179", "dave");
    CHECK(w.del(db::ig_index, "179")); // every duplicate
    w.commit();
  }
  CHECK(scan_all(s.read(), db::ig_index) == std::vector<kv>{{"178", "carol"}});
}

TEST_CASE("data survives reopening", "[store]") {
  temp_dir tmp;
  {
    store s{tmp.path(), small_map};
    auto w = s.write();
    w.put(db::outbox, seq_key(7), "entry");
    w.put(db::hints, "alice", "h");
    w.commit();
  }
  store s{tmp.path(), small_map};
  auto r = s.read();
  CHECK(r.get(db::outbox, seq_key(7)) == std::string("entry"));
  CHECK(r.get(db::hints, "alice") == std::string("h"));
  CHECK(r.get(db::meta, "schema_version") == std::to_string(schema_version));
}

TEST_CASE("a schema 2 store opens as 4 and its JSON hints and outbox entries still read",
          "[store]") {
  temp_dir tmp;
  {
    store s{tmp.path(), small_map};
    auto w = s.write();
    w.put(db::meta, "schema_version", "2");
    w.put(db::hints, "alice", R"({"first_due":100,"last_due":160,"received_at":90})");
    w.put(db::outbox, seq_key(4),
          R"({"seq":4,"type":"media.imported","id":"instagram:9","user":"alice",)"
          R"("data":"{}","attempts":1,"created_at":90,"next_attempt_at":95,"last_error":""})");
    w.commit();
  }
  store s{tmp.path(), small_map};
  auto r = s.read();
  CHECK(r.get(db::meta, "schema_version") == std::string("4"));
  auto h = inbox::get(r, "alice");
  REQUIRE(h);
  CHECK(h->last_due == 160);
  CHECK(h->queued_at == 100); // it had no queue entry: due as it says
  auto e = outbox::get(r, 4);
  REQUIRE(e);
  CHECK(e->id == "instagram:9");
  CHECK(e->attempts == 1);
}

TEST_CASE("a schema 3 store migrates in place to 4", "[store]") {
  temp_dir tmp;
  auto entry = [](uint64_t seq, const char* user, int64_t at) {
    outbox_entry e;
    e.seq = seq;
    e.id = "instagram:" + std::to_string(seq);
    e.user = user;
    e.created_at = 90;
    e.next_attempt_at = at;
    return e;
  };
  {
    store s{tmp.path(), small_map};
    auto w = s.write();
    w.put(db::meta, "schema_version", "3");
    // v3 layout: entries by be64(seq), due entries be64(at) be64(seq).
    w.put(db::outbox, seq_key(4), encode(entry(4, "alice", 95)));
    w.put(db::outbox_due, due_key(95, 4), {});
    w.put(db::outbox, seq_key(5), encode(entry(5, "bob", 96)));
    w.put(db::outbox_due, due_key(96, 5), {});
    w.put(db::dead, seq_key(3), encode(entry(3, "alice", 80)));
    w.put(db::meta, "outbox_seq", seq_key(5));
    // v3 hints: binary without queue time; a stale entry owned by no hint.
    hint h{100, 160, 90};
    w.put(db::hints, "alice", encode(h));
    w.put(db::hint_due, when_key(160, "alice"), {});
    w.put(db::hint_due, when_key(150, "alice"), {});
    w.put(db::hint_due, when_key(120, "nobody"), {});
    w.commit();
  }
  store s{tmp.path(), small_map};
  auto r = s.read();
  CHECK(r.get(db::meta, "schema_version") == std::string("4"));
  // The outbox is keyed by user, found by id, due as before.
  auto a = outbox::get(r, 4);
  REQUIRE(a);
  CHECK(a->user == "alice");
  CHECK(outbox::get(r, 5)->user == "bob");
  CHECK(outbox::get_dead(r, 3)->id == "instagram:3");
  CHECK_FALSE(outbox::get(r, 3));
  int64_t next = 0;
  auto due = outbox::due(r, 95, 10, [](uint64_t) { return false; }, next);
  REQUIRE(due.size() == 1);
  CHECK(due[0].seq == 4);
  CHECK(next == 96);
  CHECK(outbox::queued(r) == 2);
  CHECK(outbox::dead_count(r) == 1);
  CHECK(r.count(db::outbox_due) == 2);
  // Each hint adopts its earliest queue entry; entries no hint owns go.
  auto h = inbox::get(r, "alice");
  REQUIRE(h);
  CHECK(h->queued_at == 150);
  std::vector<std::pair<int64_t, std::string>> queue;
  inbox::each_queued(r, [&](int64_t at, std::string user) {
    queue.emplace_back(at, user);
    return true;
  });
  CHECK(queue == std::vector<std::pair<int64_t, std::string>>{{150, "alice"}});
  // A user's entries are one key range: erasing alice leaves bob's.
  {
    auto w = s.write();
    outbox::erase_user(w, "alice");
    w.commit();
  }
  auto r2 = s.read();
  CHECK_FALSE(outbox::get(r2, 4));
  CHECK_FALSE(outbox::get_dead(r2, 3));
  CHECK(outbox::get(r2, 5));
  CHECK(r2.count(db::outbox_ids) == 1);
}

TEST_CASE("a newer schema is refused", "[store]") {
  temp_dir tmp;
  {
    store s{tmp.path(), small_map};
    auto w = s.write();
    w.put(db::meta, "schema_version", "99");
    w.commit();
  }
  try {
    store s{tmp.path(), small_map};
    FAIL("opened a store with schema 99");
  } catch (const store_error& e) {
    std::string msg = e.what();
    CHECK(msg.find("99") != std::string::npos);
    CHECK(msg.find("newer") != std::string::npos);
  }
  // The refusal changed nothing: still 99, still refused.
  CHECK_THROWS_AS(store(tmp.path(), small_map), store_error);
}

TEST_CASE("an unreadable schema version is refused", "[store]") {
  temp_dir tmp;
  {
    store s{tmp.path(), small_map};
    auto w = s.write();
    w.put(db::meta, "schema_version", "one");
    w.commit();
  }
  CHECK_THROWS_AS(store(tmp.path(), small_map), store_error);
}

TEST_CASE("a path that is not a directory is refused", "[store]") {
  CHECK_THROWS_AS(store("/dev/null/db", small_map), store_error);
}

TEST_CASE("LMDB errors become store_error naming the operation", "[store]") {
  temp_dir tmp;
  store s{tmp.path(), small_map};
  auto w = s.write();
  // Keys longer than LMDB's 511-byte limit are rejected.
  try {
    w.put(db::users, std::string(600, 'k'), "v");
    FAIL("oversized key accepted");
  } catch (const store_error& e) {
    CHECK(std::string(e.what()).find("put users") != std::string::npos);
  }
}

TEST_CASE("seq_key sorts like the number", "[store]") {
  CHECK(seq_key(0).size() == 8);
  CHECK(seq_key(1) == std::string("\0\0\0\0\0\0\0\x01", 8));
  CHECK(seq_key(256) < seq_key(257));
  CHECK(seq_key(255) < seq_key(256));
  CHECK(seq_key(0xffffffff) < seq_key(0x100000000));
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{1} << 40, ~uint64_t{0}}) {
    CHECK(seq_from_key(seq_key(v)) == v);
  }
  CHECK(seq_from_key("short") == 0);

  temp_dir tmp;
  store s{tmp.path(), small_map};
  {
    auto w = s.write();
    for (uint64_t v : {1000u, 2u, 300u, 1u}) {
      w.put(db::outbox, seq_key(v), std::to_string(v));
    }
    w.commit();
  }
  std::vector<uint64_t> order;
  s.read().scan(db::outbox, "", [&](std::string_view k, std::string_view) {
    order.push_back(seq_from_key(k));
    return true;
  });
  CHECK(order == std::vector<uint64_t>{1, 2, 300, 1000});
}

TEST_CASE("get_all returns every duplicate of exactly one key", "[store]") {
  temp_dir dir;
  igbridge::store s{dir.path(), small_map};
  {
    auto txn = s.write();
    txn.put(igbridge::db::ig_index, "17", "bob");
    txn.put(igbridge::db::ig_index, "17", "alice");
    txn.put(igbridge::db::ig_index, "170", "carol");
    txn.commit();
  }
  auto txn = s.read();
  CHECK(txn.get_all(igbridge::db::ig_index, "17") == std::vector<std::string>{"alice", "bob"});
  CHECK(txn.get_all(igbridge::db::ig_index, "1").empty());
  CHECK(txn.get_all(igbridge::db::ig_index, "170") == std::vector<std::string>{"carol"});
}

TEST_CASE("the attention list says why: an expiring token, a backfill under way", "[store]") {
  temp_dir tmp;
  store s{tmp.path(), small_map};
  user_record r;
  r.user = "alice";
  r.state = user_state::active;
  r.token_expires_at = 1'800'000'000;
  auto put = [&](const std::optional<user_record>& before) {
    auto txn = s.write();
    write_notes notes;
    users::store(txn, notes, before, &r);
    txn.commit();
  };
  put(std::nullopt);
  CHECK(users::attention(s.read(), 10).empty());
  auto before = r;
  r.expiring_sent_at = 1'799'400'000;
  r.backfill.state = backfill_state::running;
  r.backfill.scanned = 120;
  r.backfill.imported = 4;
  put(before);
  auto list = users::attention(s.read(), 10);
  REQUIRE(list.size() == 1);
  auto why = list[0].value("why", std::string());
  CHECK(why.find("token expires 2027-01-15") != std::string::npos);
  CHECK(why.find("backfill running: 120 scanned, 4 imported") != std::string::npos);
  before = r;
  r.expiring_sent_at = 0;
  r.backfill.state = backfill_state::done;
  put(before);
  CHECK(users::attention(s.read(), 10).empty());
}

TEST_CASE("a deleted import's files are released only when nothing else has them", "[store]") {
  temp_dir tmp;
  store s{tmp.path(), small_map};
  auto txn = s.write();
  write_notes notes;
  imports::delivered d;
  imports::put(txn, "alice", "m1", d);
  imports::put(txn, "alice", "m2", d);
  imports::put(txn, "bob", "m9", d);
  imports::set_files(txn, "alice", "m1", {"shared.jpg", "own.jpg"});
  imports::set_files(txn, "alice", "m2", {"shared.jpg"});
  imports::set_files(txn, "bob", "m9", {"theirs.jpg"});
  imports::set_files(txn, "alice", "unknown", {"x.jpg"}); // no import: nothing made up
  CHECK(!imports::get(txn, "alice", "unknown"));
  media_refs::add(txn, "alice", {"shared.jpg", "own.jpg"});
  media_refs::add(txn, "bob", {"theirs.jpg", "own.jpg"});
  auto m1 = *imports::get(txn, "alice", "m1");
  auto only = imports::files_only_of(txn, "alice", "m1", m1.files);
  CHECK(only == std::vector<std::string>{"own.jpg"});
  media_refs::release(txn, notes, "alice", only);
  CHECK(notes.media_gone.empty()); // bob still has own.jpg
  CHECK(media_refs::referenced(txn, "own.jpg"));
  media_refs::release(txn, notes, "bob", {"own.jpg"});
  CHECK(notes.media_gone == std::vector<std::string>{"own.jpg"});
  txn.commit();
}
