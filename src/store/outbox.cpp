// The outbox family: an entry, its due entry and its id change together,
// here only.

#include "igbridge/store/outbox.hpp"

#include "igbridge/store/meta.hpp"
#include "igbridge/tables.hpp"

namespace igbridge::outbox {

namespace {

/// user \0 be64(seq): a user's entries, in commit order.
std::string entry_key(const std::string& user, uint64_t seq) {
  std::string k = user;
  k.push_back('\0');
  k += seq_key(seq);
  return k;
}

/// be64(at) user \0 be64(seq).
std::string due_key_of(int64_t at, const std::string& user, uint64_t seq) {
  return time_key(at) + entry_key(user, seq);
}

/// An entry key's user and seq.
std::optional<std::pair<std::string, uint64_t>> split_entry_key(std::string_view k) {
  if (k.size() < 10 || k[k.size() - 9] != '\0') {
    return std::nullopt;
  }
  return std::make_pair(std::string(k.substr(0, k.size() - 9)), seq_from_key(k.substr(k.size() - 8)));
}

std::optional<std::string> user_of(const read_txn& txn, uint64_t seq) {
  return txn.get(db::outbox_ids, seq_key(seq));
}

std::optional<outbox_entry> read_entry(const read_txn& txn, db d, const std::string& key) {
  auto v = txn.get(d, key);
  return v ? decode_outbox(*v) : std::nullopt;
}

void collect_prefix(const read_txn& txn, db d, const std::string& prefix,
                    std::vector<std::string>& keys) {
  txn.scan_prefix(d, prefix, [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  });
}

} // namespace

void append(write_txn& txn, write_notes& notes, outbox_entry& e) {
  e.seq = meta::next_outbox_seq(txn, e.user);
  txn.put(db::outbox, entry_key(e.user, e.seq), encode(e));
  txn.put(db::outbox_due, due_key_of(e.next_attempt_at, e.user, e.seq), {});
  txn.put(db::outbox_ids, seq_key(e.seq), e.user);
  notes.outbox_grew = true;
}

void scan_due(const read_txn& txn, int64_t now,
              const std::function<scan_step(std::string_view, uint64_t)>& decide,
              const std::function<bool(outbox_entry&&)>& take, int64_t& next_due) {
  next_due = 0;
  txn.scan(db::outbox_due, {}, [&](std::string_view k, std::string_view) {
    auto key = split_entry_key(k.size() > 8 ? k.substr(8) : std::string_view{});
    if (k.size() <= 8 || !key) {
      return true;
    }
    auto at = static_cast<int64_t>(seq_from_key(k.substr(0, 8)));
    if (at > now) {
      next_due = at;
      return false;
    }
    switch (decide(key->first, key->second)) {
      case scan_step::skip:
        return true;
      case scan_step::stop:
        return false;
      case scan_step::read:
        break;
    }
    auto e = read_entry(txn, db::outbox, std::string(k.substr(8)));
    return e ? take(std::move(*e)) : true;
  });
}

std::vector<outbox_entry> due(const read_txn& txn, int64_t now, std::size_t room,
                              const std::function<bool(uint64_t)>& skip, int64_t& next_due) {
  std::vector<outbox_entry> out;
  scan_due(
    txn, now,
    [&](std::string_view, uint64_t seq) {
      return skip(seq) ? scan_step::skip : out.size() >= room ? scan_step::stop : scan_step::read;
    },
    [&](outbox_entry&& e) {
      out.push_back(std::move(e));
      return true;
    },
    next_due);
  return out;
}

std::optional<outbox_entry> get(const read_txn& txn, uint64_t seq) {
  auto user = user_of(txn, seq);
  return user ? read_entry(txn, db::outbox, entry_key(*user, seq)) : std::nullopt;
}

std::optional<outbox_entry> get_dead(const read_txn& txn, uint64_t seq) {
  auto user = user_of(txn, seq);
  return user ? read_entry(txn, db::dead, entry_key(*user, seq)) : std::nullopt;
}

bool remove(write_txn& txn, uint64_t seq) {
  auto e = get(txn, seq);
  if (!e) {
    return false;
  }
  txn.del(db::outbox_due, due_key_of(e->next_attempt_at, e->user, seq));
  txn.del(db::outbox, entry_key(e->user, seq));
  txn.del(db::outbox_ids, seq_key(seq));
  return true;
}

void update(write_txn& txn, const outbox_entry& e, int64_t was_due) {
  if (was_due != e.next_attempt_at) {
    txn.del(db::outbox_due, due_key_of(was_due, e.user, e.seq));
  }
  txn.put(db::outbox, entry_key(e.user, e.seq), encode(e));
  txn.put(db::outbox_due, due_key_of(e.next_attempt_at, e.user, e.seq), {});
}

void bury(write_txn& txn, const outbox_entry& e) {
  auto old = get(txn, e.seq);
  if (old) {
    txn.del(db::outbox_due, due_key_of(old->next_attempt_at, e.user, e.seq));
    txn.del(db::outbox, entry_key(e.user, e.seq));
  }
  txn.put(db::dead, entry_key(e.user, e.seq), encode(e));
  txn.put(db::outbox_ids, seq_key(e.seq), e.user);
}

bool replay(write_txn& txn, write_notes& notes, uint64_t seq, int64_t now) {
  auto user = user_of(txn, seq);
  if (!user) {
    return false;
  }
  auto key = entry_key(*user, seq);
  auto e = read_entry(txn, db::dead, key);
  if (!e) {
    return false;
  }
  e->attempts = 0;
  e->last_error.clear();
  e->next_attempt_at = now;
  txn.del(db::dead, key);
  txn.put(db::outbox, key, encode(*e));
  txn.put(db::outbox_due, due_key_of(now, *user, seq), {});
  notes.outbox_grew = true;
  return true;
}

bool is_head(const read_txn& txn, const std::string& user, uint64_t seq) {
  std::string prefix = user;
  prefix.push_back('\0');
  bool first = false;
  txn.scan_prefix(db::outbox, prefix, [&](std::string_view k, std::string_view) {
    first = k == entry_key(user, seq);
    return false;
  });
  return first;
}

bool follows(const read_txn& txn, const std::string& user, uint64_t prev, uint64_t seq) {
  auto from = entry_key(user, prev);
  auto want = entry_key(user, seq);
  bool next = false;
  txn.scan(db::outbox, from, [&](std::string_view k, std::string_view) {
    if (k == from) {
      return true; // prev itself: the one after it decides
    }
    next = k == want;
    return false;
  });
  return next;
}

bool held(const read_txn& txn, const std::string& user) {
  std::string prefix = user;
  prefix.push_back('\0');
  bool any = false;
  txn.scan_prefix(db::dead, prefix, [&](std::string_view, std::string_view) {
    any = true;
    return false;
  });
  return any;
}

std::vector<std::string> held_users(const read_txn& txn, std::size_t limit) {
  std::vector<std::string> out;
  txn.scan(db::dead, {}, [&](std::string_view k, std::string_view) {
    auto key = split_entry_key(k);
    if (key && (out.empty() || out.back() != key->first)) {
      out.push_back(key->first);
    }
    return out.size() < limit;
  });
  return out;
}

bool drop(write_txn& txn, write_notes& notes, uint64_t seq) {
  auto user = user_of(txn, seq);
  if (!user || !txn.del(db::dead, entry_key(*user, seq))) {
    return false;
  }
  txn.del(db::outbox_ids, seq_key(seq));
  notes.outbox_grew = true; // the user's later events may go now
  return true;
}

std::size_t discard_user(write_txn& txn, const std::string& user) {
  std::string prefix = user;
  prefix.push_back('\0');
  std::vector<std::string> keys;
  collect_prefix(txn, db::outbox, prefix, keys);
  for (auto& k : keys) {
    if (auto e = read_entry(txn, db::outbox, k)) {
      txn.del(db::outbox_due, due_key_of(e->next_attempt_at, user, e->seq));
    }
    txn.del(db::outbox, k);
    txn.del(db::outbox_ids, k.substr(prefix.size()));
  }
  return keys.size();
}

void erase_user(write_txn& txn, const std::string& user) {
  discard_user(txn, user);
  std::string prefix = user;
  prefix.push_back('\0');
  std::vector<std::string> keys;
  collect_prefix(txn, db::dead, prefix, keys);
  for (auto& k : keys) {
    txn.del(db::dead, k);
    txn.del(db::outbox_ids, k.substr(prefix.size()));
  }
}

std::size_t queued(const read_txn& txn) {
  return txn.count(db::outbox);
}

std::size_t dead_count(const read_txn& txn) {
  return txn.count(db::dead);
}

int64_t oldest_created(const read_txn& txn) {
  int64_t at = 0;
  // The lowest id still known is the oldest entry; a dead letter's id is
  // skipped.
  txn.scan(db::outbox_ids, {}, [&](std::string_view k, std::string_view user) {
    if (auto e = read_entry(txn, db::outbox, entry_key(std::string(user), seq_from_key(k)))) {
      at = e->created_at;
      return false;
    }
    return true;
  });
  return at;
}

void each(const read_txn& txn, bool dead, const std::function<bool(const outbox_entry&)>& f) {
  auto d = dead ? db::dead : db::outbox;
  txn.scan(db::outbox_ids, {}, [&](std::string_view k, std::string_view user) {
    auto e = read_entry(txn, d, entry_key(std::string(user), seq_from_key(k)));
    return e ? f(*e) : true;
  });
}

void upgrade_from_v1(write_txn& txn) {
  // v1 had no due index; entries were keyed by seq as until v4.
  std::vector<outbox_entry> entries;
  txn.scan(db::outbox, {}, [&](std::string_view, std::string_view v) {
    if (auto e = decode_outbox(v)) {
      entries.push_back(std::move(*e));
    }
    return true;
  });
  for (auto& e : entries) {
    txn.put(db::outbox_due, due_key(e.next_attempt_at, e.seq), {});
  }
}

void upgrade_to_v4(write_txn& txn) {
  // Until v4: outbox and dead keyed by be64(seq), due entries be64(at) be64(seq).
  auto rekey = [&](db d) {
    std::vector<std::pair<std::string, outbox_entry>> old;
    txn.scan(d, {}, [&](std::string_view k, std::string_view v) {
      if (k.size() == 8) {
        if (auto e = decode_outbox(v)) {
          old.emplace_back(std::string(k), std::move(*e));
        }
      }
      return true;
    });
    for (auto& [k, e] : old) {
      txn.del(d, k);
      e.seq = seq_from_key(k);
      txn.put(d, entry_key(e.user, e.seq), encode(e));
      txn.put(db::outbox_ids, k, e.user);
      if (d == db::outbox) {
        txn.put(db::outbox_due, due_key_of(e.next_attempt_at, e.user, e.seq), {});
      }
    }
  };
  std::vector<std::string> old_due;
  txn.scan(db::outbox_due, {}, [&](std::string_view k, std::string_view) {
    if (k.size() == 16) {
      old_due.emplace_back(k);
    }
    return true;
  });
  for (auto& k : old_due) {
    txn.del(db::outbox_due, k);
  }
  rekey(db::outbox);
  rekey(db::dead);
}

uint64_t highest_seq(const read_txn& txn) {
  uint64_t top = 0;
  txn.scan(db::outbox_ids, {}, [&](std::string_view k, std::string_view) {
    top = std::max(top, seq_from_key(k));
    return true;
  });
  return top;
}

std::vector<owners::placement> user_placements() {
  using owners::user_at;
  return {{db::outbox, user_at::key_prefix},
          {db::dead, user_at::key_prefix},
          {db::outbox_due, user_at::key_after_time_prefix},
          {db::outbox_ids, user_at::value}};
}

} // namespace igbridge::outbox
