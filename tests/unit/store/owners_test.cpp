// Whose record a change is (store/owners.hpp): the split of a commit by
// shard rests on it, so every change a user's records make must name that
// user, and the node's own records none.

#include <catch2/catch.hpp>

#include <set>

#include "igbridge/mutations.hpp"
#include "igbridge/store.hpp"
#include "igbridge/store/imports.hpp"
#include "igbridge/store/inbox.hpp"
#include "igbridge/store/media_refs.hpp"
#include "igbridge/store/meta.hpp"
#include "igbridge/store/outbox.hpp"
#include "igbridge/store/owners.hpp"
#include "igbridge/store/users.hpp"
#include "igbridge/write_notes.hpp"
#include "temp_dir.hpp"

using namespace igbridge;
using igbridge::test::temp_dir;

namespace {

constexpr std::size_t small_map = std::size_t{16} << 20;

/// Links `user` to an Instagram account, queues an import, stores a file,
/// then unlinks and erases it: a life touching every per-user family.
void live_and_go(write_txn& txn, const std::string& user) {
  write_notes notes;
  user_record rec;
  rec.user = user;
  rec.state = user_state::active;
  rec.instagram_user_id = "ig-" + user;
  rec.token = "t";
  rec.next_fetch_at = 50; // a schedule entry
  users::store(txn, notes, std::nullopt, &rec);
  inbox::fanout hints;
  hints.add(txn, notes, {rec.instagram_user_id}, 100, 2);
  outbox_entry e;
  e.user = user;
  e.id = "instagram:1";
  e.data = "{}";
  e.next_attempt_at = 5;
  outbox::append(txn, notes, e);
  imports::delivered d;
  imports::put(txn, user, "1", d);
  media_refs::add(txn, user, {"f-" + user + ".jpg"});
  auto before = users::get(txn, user);
  users::store(txn, notes, before, nullptr);
  outbox::erase_user(txn, user);
  inbox::drop(txn, user);
  media_refs::forget_user(txn, notes, user);
}

} // namespace

TEST_CASE("every change of a user's records names the user; the node's own none",
          "[store][cluster]") {
  temp_dir tmp;
  store s{tmp.path(), small_map};
  s.capture(true);
  auto txn = s.write();
  live_and_go(txn, "alice");
  live_and_go(txn, "bob");
  txn.put(db::counters, "x", "1");
  txn.commit();
  auto batch = txn.take_mutations();
  std::set<std::string> users;
  std::set<db> families;
  std::size_t n = 0;
  CHECK(for_each_mutation(batch, [&](db d, mutation::kind op, std::string_view key,
                                     std::string_view value) {
    ++n;
    auto user = owners::user_of(d, op, key, value);
    INFO(name_of(d));
    CHECK(owners::per_user(d) == user.has_value());
    if (user) {
      users.insert(std::string(*user));
      families.insert(d);
    }
  }));
  CHECK(n == decode_mutations(batch)->size());
  CHECK(users == std::set<std::string>{"alice", "bob"});
  // The families the life touched, each told to its user.
  for (auto d : {db::users, db::ig_index, db::schedule, db::hints, db::hint_due, db::outbox,
                 db::outbox_due, db::outbox_ids, db::imports, db::media_refs, db::user_media}) {
    INFO(name_of(d));
    CHECK(families.count(d) == 1);
  }
}

TEST_CASE("partitioned outbox numbers stay in the user's shard's class and rise",
          "[store][cluster]") {
  temp_dir tmp;
  store s{tmp.path(), small_map};
  s.partition_seqs(4, [](std::string_view u) { return u == "a" ? 1u : 3u; });
  auto txn = s.write();
  std::vector<uint64_t> seqs;
  for (const char* u : {"a", "b", "a", "a", "b"}) {
    seqs.push_back(meta::next_outbox_seq(txn, u));
  }
  CHECK(seqs == std::vector<uint64_t>{1, 3, 5, 9, 11});
  meta::raise_outbox_seq(txn, 40); // a restore brought numbers up to 40
  CHECK(meta::next_outbox_seq(txn, "b") == 43);
  meta::raise_outbox_seq(txn, 7); // never lowers
  CHECK(meta::next_outbox_seq(txn, "a") == 45);
  txn.commit();
}
