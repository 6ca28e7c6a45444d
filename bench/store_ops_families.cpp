// store_ops' store layer over the record-family modules (src/store/): the
// seeding writes what links, webhooks and fetches leave, through the same
// module functions; erase and settle are the user actor's transactions
// (src/user/user.cpp erase_all and settle_entries, with the record stored
// as src/user/user_transactions.cpp stores it), step for step.

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "igbridge/mutations.hpp"
#include "igbridge/records.hpp"
#include "igbridge/store/dashboard.hpp"
#include "igbridge/store/imports.hpp"
#include "igbridge/store/inbox.hpp"
#include "igbridge/store/media_refs.hpp"
#include "igbridge/store/oauth_states.hpp"
#include "igbridge/store/outbox.hpp"
#include "igbridge/store/resume.hpp"
#include "igbridge/store/seen.hpp"
#include "igbridge/store/users.hpp"
#include "igbridge/write_notes.hpp"
#include "store_ops.hpp"

namespace store_ops {

using namespace igbridge;

namespace {

constexpr int64_t webhook_delay = 5;

/// The hints of the others and of the target came in two hours ago.
int64_t hinted_at(int64_t now) { return now - 7200; }

user_record linked(const std::string& user, uint64_t n, int64_t now) {
  user_record rec;
  rec.user = user;
  rec.state = user_state::active;
  rec.instagram_user_id = std::to_string(17841400000000000ULL + n);
  rec.app_scoped_id = std::to_string(9712345600000000ULL + n);
  rec.username = user;
  rec.linked_at = now;
  rec.token = "IGAAL-bench-token-" + std::to_string(n);
  rec.token_issued_at = now;
  rec.token_expires_at = now + 5184000;
  rec.initial_fetch_done = true;
  rec.next_fetch_at = now + 3600;
  return rec;
}

/// A linked user with a hint, as after a link and a webhook.
void link_and_hint(write_txn& txn, const user_record& r, int64_t now) {
  write_notes notes;
  auto rec = r;
  users::store(txn, notes, users::get(txn, rec.user), &rec);
  inbox::fanout fan;
  fan.add(txn, notes, {rec.instagram_user_id}, hinted_at(now), webhook_delay);
}

outbox_entry entry(const std::string& user, uint64_t n, int64_t now) {
  outbox_entry e;
  e.type = event_type::media_imported;
  e.id = "instagram:" + std::to_string(17900000000000000ULL + n);
  e.user = user;
  e.data = import_record(user, n);
  e.created_at = now;
  e.next_attempt_at = now + 3600; // waiting for a sink that is down
  return e;
}

/// The daemon's changelog file (serve.cpp changelog_file): each batch
/// encoded, framed by its big-endian length and appended; on tmpfs.
class changelog {
public:
  changelog() {
    auto path = "/dev/shm/igbridge-store-ops-" + std::to_string(getpid()) + ".changelog";
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    ::unlink(path.c_str()); // gone with the process
  }
  ~changelog() { ::close(fd_); }
  void append(const std::string& bytes) {
    std::string framed;
    framed.reserve(8 + bytes.size());
    for (int shift = 56; shift >= 0; shift -= 8) {
      framed.push_back(static_cast<char>((bytes.size() >> shift) & 0xff));
    }
    framed += bytes;
    if (::write(fd_, framed.data(), framed.size()) != static_cast<ssize_t>(framed.size())) {
      throw std::runtime_error("changelog: write failed");
    }
  }

private:
  int fd_ = -1;
};

/// timed_write with capture `c`: what capture adds after the commit (the
/// list taken and freed, maybe written) counts in the transaction's time.
template <class F>
sample timed_capture(store& db, capture c, F&& f) {
  using clock = std::chrono::steady_clock;
  static changelog file;
  db.capture(c != capture::off);
  auto t0 = clock::now();
  auto txn = db.write();
  f(txn);
  auto t1 = clock::now();
  txn.commit();
  {
    auto changed = txn.take_mutations();
    if (c == capture::file) {
      file.append(changed);
    }
  }
  auto t2 = clock::now();
  return {std::chrono::duration<double>(t1 - t0).count(),
          std::chrono::duration<double>(t2 - t0).count()};
}

} // namespace

void seed_outbox_others(store& db, uint64_t n, uint64_t chunk, int64_t now) {
  seed_in_chunks(db, n, chunk, [&](write_txn& txn, uint64_t i) {
    write_notes notes;
    auto e = entry("other" + std::to_string(i / 10), i, now);
    outbox::append(txn, notes, e);
    if (i % 10 == 9) {
      e.attempts = 8;
      e.last_error = "sink: 503";
      outbox::bury(txn, e);
    }
  });
}

void seed_due_hints_others(store& db, uint64_t n, uint64_t chunk, int64_t now) {
  seed_in_chunks(db, n, chunk, [&](write_txn& txn, uint64_t i) {
    link_and_hint(txn, linked("other" + std::to_string(i), i, now), now);
  });
}

void seed_target(store& db, int64_t now) {
  auto txn = db.write();
  write_notes notes;
  auto rec = linked(target, 99999999, now);
  for (int i = 0; i < 50; ++i) {
    seen_entry s;
    s.first_seen = now;
    s.taken_at = now - 86400 + i;
    s.judged = i < 10 ? verdict::imported : verdict::untagged;
    seen::put(txn, rec, std::to_string(18000000000000000ULL + i), s, true);
  }
  resume::save(txn, rec, {"https://graph.instagram.com/v21.0/1/tags?after=QVFI1",
                          "https://graph.instagram.com/v21.0/1/tags?after=QVFI2"});
  users::store(txn, notes, users::get(txn, target), &rec);
  inbox::fanout fan;
  fan.add(txn, notes, {rec.instagram_user_id}, hinted_at(now), webhook_delay);
  std::vector<nlohmann::json> latest;
  for (uint64_t i = 0; i < 10; ++i) {
    auto e = entry(target, 90000000 + i, now);
    outbox::append(txn, notes, e);
    if (i >= 8) {
      outbox::bury(txn, e);
    }
    if (i < 2) {
      latest.push_back(nlohmann::json::parse(e.data));
    }
    imports::delivered d;
    d.caption = "A day at the market with friends #bench #igbridge";
    d.tags = {"bench", "igbridge"};
    d.media_type = "IMAGE";
    d.permalink = "https://www.instagram.com/p/C0dEfGhIjKl/";
    d.taken_at = now - 86400;
    d.imported_at = now;
    imports::put(txn, target, imports::media_id_of(e.id), d);
  }
  dashboard::note_imports(txn, latest);
  for (int i = 0; i < 2; ++i) {
    oauth_state s;
    s.user = target;
    s.created_at = now + i;
    s.expires_at = now + 600 + i;
    s.cookie = "cookie" + std::to_string(i);
    oauth_states::add(txn, "nonce-" + std::to_string(i), s, now);
  }
  media_refs::add(txn, target, {"a1b2c3.jpg", "d4e5f6.jpg"});
  txn.commit();
}

void seed_settling_target(store& db, int64_t now) {
  auto txn = db.write();
  link_and_hint(txn, linked(target, 99999999, now), now);
  txn.commit();
}

sample erase_target(store& db) {
  return timed_write(db, [](write_txn& txn) {
    write_notes notes;
    auto before = users::get(txn, target);
    // user.cpp erase_all
    seen::erase_user(txn, target);
    imports::erase_user(txn, target);
    inbox::drop(txn, target);
    resume::forget(txn, target);
    outbox::erase_user(txn, target);
    oauth_states::erase_user(txn, target);
    dashboard::forget_user(txn, target);
    media_refs::forget_user(txn, notes, target);
    // the write job: the record goes with what is derived from it
    users::store(txn, notes, before, nullptr);
  });
}

sample settle_target(store& db, int64_t now) {
  (void)now;
  return timed_write(db, [](write_txn& txn) {
    write_notes notes;
    auto before = users::get(txn, target);
    auto rec = *before;
    // user.cpp settle_entries, for an active user
    auto h = inbox::get(txn, rec.user);
    notes.wake(rec.user, h ? h->queued_at : own_due(rec));
    users::store(txn, notes, before, &rec);
  });
}

void seed_page_user(store& db, int64_t now) {
  auto txn = db.write();
  write_notes notes;
  auto rec = linked(target, 99999999, now);
  users::store(txn, notes, std::nullopt, &rec);
  txn.commit();
}

sample page_target(store& db, int64_t now, capture c) {
  static uint64_t next_post = 0;
  auto first = next_post;
  next_post += 100;
  return timed_capture(db, c, [&](write_txn& txn) {
    write_notes notes;
    auto before = users::get(txn, target);
    auto rec = *before;
    std::vector<nlohmann::json> records;
    for (auto n = first; n < first + 100; ++n) {
      auto id = std::to_string(18100000000000000ULL + n);
      if (seen::get(txn, rec.user, id)) {
        continue;
      }
      seen_entry e;
      e.first_seen = now;
      e.taken_at = now - 60;
      e.judged = verdict::imported;
      e.caption_hash = caption_hash("A day at the market with friends #bench #igbridge");
      seen::put(txn, rec, id, e, true);
      auto out = entry(target, n, now);
      records.push_back(nlohmann::json::parse(out.data));
      outbox::append(txn, notes, out);
      imports::delivered d;
      d.caption = "A day at the market with friends #bench #igbridge";
      d.tags = {"bench", "igbridge"};
      d.media_type = "IMAGE";
      d.permalink = "https://www.instagram.com/p/C0dEfGhIjKl/";
      d.taken_at = e.taken_at;
      d.imported_at = now;
      imports::put(txn, rec.user, id, d);
      ++rec.imported;
    }
    dashboard::note_imports(txn, records);
    users::store(txn, notes, before, &rec);
  });
}

void seed_hinted_users(store& db, int64_t now) {
  seed_in_chunks(db, 200, 200, [&](write_txn& txn, uint64_t i) {
    write_notes notes;
    auto rec = linked("user" + std::to_string(i), i, now);
    users::store(txn, notes, std::nullopt, &rec);
  });
}

sample hints_batch(store& db, int64_t now, capture c) {
  static inbox::fanout fan; // the writer keeps one
  static uint64_t next_user = 0;
  std::vector<std::vector<std::string>> payloads;
  for (int i = 0; i < 16; ++i) {
    payloads.push_back({std::to_string(17841400000000000ULL + next_user++ % 200)});
  }
  return timed_capture(db, c, [&](write_txn& txn) {
    write_notes notes;
    for (const auto& ids : payloads) {
      fan.add(txn, notes, ids, now, webhook_delay);
    }
  });
}

void check(store& db, const std::string& op, uint64_t others, bool erased) {
  auto txn = db.read();
  auto fail = [](const std::string& what) { throw std::runtime_error("check: " + what); };
  if (op == "page" || op == "hints") {
    return; // nothing of others to check
  }
  if (op == "erase") {
    if (outbox::queued(txn) != others - others / 10 || outbox::dead_count(txn) != others / 10) {
      fail("the others' outbox entries changed");
    }
  } else {
    std::size_t queued = 0;
    inbox::each_queued(txn, [&](int64_t, const std::string&) { return ++queued, true; });
    if (queued != others + 1 || users::count(txn, user_state::active) != int64_t(others + 1)) {
      fail("hints or users changed: " + std::to_string(queued) + " queued");
    }
  }
  if (users::exists(txn, target) == erased) {
    fail(erased ? "the target user is still stored" : "the target user is gone");
  }
}

} // namespace store_ops
