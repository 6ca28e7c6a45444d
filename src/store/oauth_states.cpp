// The OAuth states family: a state and its two index entries change
// together, here only.

#include "igbridge/store/oauth_states.hpp"

#include <vector>

#include "igbridge/crypto.hpp"
#include "igbridge/tables.hpp"

namespace igbridge::oauth_states {

namespace {

/// Live states per app user.
constexpr std::size_t max_per_user = 5;
/// Expired states removed per start: enough to keep up, bounded per request.
constexpr std::size_t sweep_per_add = 64;

std::string by_user_key(const std::string& user, int64_t created, const std::string& nonce) {
  std::string k = user;
  k.push_back('\0');
  return k + time_key(created) + nonce;
}

/// Abandoned flows expire: the head of the expiry index, a few per add.
void sweep_expired(write_txn& txn, int64_t now) {
  std::vector<std::string> keys;
  txn.scan(db::oauth_expiry, {}, [&](std::string_view k, std::string_view) {
    if (k.size() < 8 || static_cast<int64_t>(seq_from_key(k.substr(0, 8))) > now
        || keys.size() >= sweep_per_add) {
      return false;
    }
    keys.emplace_back(k);
    return true;
  });
  for (auto& k : keys) {
    auto nonce = k.substr(8);
    if (auto s = tables::oauth_states.get(txn, nonce)) {
      drop(txn, nonce, *s);
    }
    txn.del(db::oauth_expiry, k); // also an entry whose state is gone
  }
}

/// The nonces of `user`'s live states, oldest first.
std::vector<std::string> nonces_of(const read_txn& txn, const std::string& user) {
  std::string prefix = user;
  prefix.push_back('\0');
  std::vector<std::string> out;
  txn.scan_prefix(db::oauth_by_user, prefix, [&](std::string_view k, std::string_view) {
    out.emplace_back(k.substr(prefix.size() + 8));
    return true;
  });
  return out;
}

} // namespace

void drop(write_txn& txn, const std::string& nonce, const oauth_state& s) {
  tables::oauth_states.del(txn, nonce);
  txn.del(db::oauth_expiry, time_key(s.expires_at) + nonce);
  txn.del(db::oauth_by_user, by_user_key(s.user, s.created_at, nonce));
}

void add(write_txn& txn, const std::string& nonce, const oauth_state& s, int64_t now) {
  sweep_expired(txn, now);
  auto live = nonces_of(txn, s.user);
  for (std::size_t i = 0; i + max_per_user <= live.size(); ++i) {
    if (auto old = tables::oauth_states.get(txn, live[i])) {
      drop(txn, live[i], *old);
    }
  }
  tables::oauth_states.put(txn, nonce, s);
  txn.put(db::oauth_expiry, time_key(s.expires_at) + nonce, {});
  txn.put(db::oauth_by_user, by_user_key(s.user, s.created_at, nonce), {});
}

check consume(write_txn& txn, const std::string& nonce, const std::string& cookie, int64_t now,
              oauth_state& out) {
  auto s = tables::oauth_states.get(txn, nonce);
  if (!s) {
    return check::unknown;
  }
  auto c = verify(*s, cookie, now);
  if (c != check::cookie_mismatch) {
    drop(txn, nonce, *s); // used, or expired
  }
  if (c == check::ok) {
    out = *s;
  }
  return c;
}

check verify(const oauth_state& s, const std::string& cookie, int64_t now) {
  if (s.expires_at <= now) {
    return check::expired;
  }
  if (cookie.empty() || !constant_time_equal(cookie, s.cookie)) {
    return check::cookie_mismatch;
  }
  return check::ok;
}

std::optional<oauth_state> find(const read_txn& txn, const std::string& nonce) {
  return tables::oauth_states.get(txn, nonce);
}

void erase_user(write_txn& txn, const std::string& user) {
  for (auto& nonce : nonces_of(txn, user)) {
    if (auto s = tables::oauth_states.get(txn, nonce)) {
      drop(txn, nonce, *s);
    }
  }
  // Index entries whose state went some other way.
  std::string prefix = user;
  prefix.push_back('\0');
  std::vector<std::string> keys;
  txn.scan_prefix(db::oauth_by_user, prefix, [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  });
  for (auto& k : keys) {
    txn.del(db::oauth_by_user, k);
  }
}

void drop_all(write_txn& txn) {
  std::vector<std::string> states;
  txn.scan(db::oauth_state, {}, [&](std::string_view k, std::string_view) {
    states.emplace_back(k);
    return true;
  });
  for (auto& k : states) {
    txn.del(db::oauth_state, k);
  }
}

} // namespace igbridge::oauth_states
