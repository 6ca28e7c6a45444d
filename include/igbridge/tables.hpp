#pragma once
/// @brief Each LMDB database with its key and value codec (after heed's
/// Database<KeyCodec, DataCodec>): code says `tables::users.get(txn, id)`
/// and gets a user_record, never bytes read by a bare string key. Only the
/// record family modules (src/store/<family>.cpp) use these; everything
/// else calls the modules (tests may read tables to check what is stored).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "igbridge/records.hpp"
#include "igbridge/store.hpp"

namespace igbridge {

// -- key codecs ----------------------------------------------------------------

struct text_key {
  using type = std::string;
  static std::string encode(const type& k) { return k; }
  static std::optional<type> decode(std::string_view b) { return std::string(b); }
};

struct seq_codec {
  using type = uint64_t;
  static std::string encode(type k) { return seq_key(k); }
  static std::optional<type> decode(std::string_view b) {
    if (b.size() != 8) {
      return std::nullopt;
    }
    return seq_from_key(b);
  }
};

/// A time-ordered entry for one app user (schedule, hint_due).
struct when {
  int64_t at = 0;
  std::string user;
  bool operator==(const when& o) const { return at == o.at && user == o.user; }
};

struct when_codec {
  using type = when;
  static std::string encode(const type& k) { return when_key(k.at, k.user); }
  static std::optional<type> decode(std::string_view b) {
    auto parts = split_when_key(b);
    if (!parts) {
      return std::nullopt;
    }
    return when{parts->first, std::move(parts->second)};
  }
};

// -- value codecs ----------------------------------------------------------------

template <class T, std::string (*Enc)(const T&), std::optional<T> (*Dec)(std::string_view)>
struct record_codec {
  using type = T;
  static std::string encode(const T& v) { return Enc(v); }
  static std::optional<T> decode(std::string_view b) { return Dec(b); }
};

using user_codec = record_codec<user_record, &encode, &decode_user>;
using seen_codec = record_codec<seen_entry, &encode, &decode_seen>;
using outbox_codec = record_codec<outbox_entry, &encode, &decode_outbox>;
using oauth_codec = record_codec<oauth_state, &encode, &decode_oauth_state>;
using hint_codec = record_codec<hint, &encode, &decode_hint>;
using deletion_codec = record_codec<deletion_record, &encode, &decode_deletion>;

/// Index entries carry everything in the key.
struct unit_codec {
  struct type {};
  static std::string encode(const type&) { return {}; }
  static std::optional<type> decode(std::string_view) { return type{}; }
};

struct text_codec {
  using type = std::string;
  static std::string encode(const type& v) { return v; }
  static std::optional<type> decode(std::string_view b) { return std::string(b); }
};

struct int_codec {
  using type = int64_t;
  static std::string encode(type v) { return seq_key(static_cast<uint64_t>(v)); }
  static std::optional<type> decode(std::string_view b) {
    if (b.size() != 8) {
      return std::nullopt;
    }
    return static_cast<int64_t>(seq_from_key(b));
  }
};

// -- the table ---------------------------------------------------------------------

template <class KeyCodec, class ValCodec>
class table {
public:
  using key_type = typename KeyCodec::type;
  using value_type = typename ValCodec::type;

  constexpr explicit table(db d) : db_(d) {}
  constexpr db id() const { return db_; }

  /// nullopt when absent or unreadable.
  std::optional<value_type> get(const read_txn& t, const key_type& k) const {
    auto v = t.get(db_, KeyCodec::encode(k));
    return v ? ValCodec::decode(*v) : std::nullopt;
  }
  bool contains(const read_txn& t, const key_type& k) const {
    return static_cast<bool>(t.get(db_, KeyCodec::encode(k)));
  }
  void put(write_txn& t, const key_type& k, const value_type& v) const {
    t.put(db_, KeyCodec::encode(k), ValCodec::encode(v));
  }
  bool del(write_txn& t, const key_type& k) const { return t.del(db_, KeyCodec::encode(k)); }

  /// Visits readable entries from `from` (inclusive) in key order while
  /// `f(key, value)` returns true.
  template <class F>
  void each(const read_txn& t, const key_type& from, F f) const {
    t.scan(db_, KeyCodec::encode(from), [&](std::string_view k, std::string_view v) {
      auto key = KeyCodec::decode(k);
      auto val = ValCodec::decode(v);
      if (!key || !val) {
        return true; // an unreadable entry is skipped, not fatal
      }
      return f(*key, *val);
    });
  }
  /// From the first entry.
  template <class F>
  void each(const read_txn& t, F f) const {
    t.scan(db_, {}, [&](std::string_view k, std::string_view v) {
      auto key = KeyCodec::decode(k);
      auto val = ValCodec::decode(v);
      if (!key || !val) {
        return true;
      }
      return f(*key, *val);
    });
  }
  std::size_t count(const read_txn& t) const { return t.count(db_); }

private:
  db db_;
};

/// The databases of store.hpp, typed. Keys not listed here (seen, seen_order,
/// outbox_due, oauth_expiry, oauth_by_user, ig_index) are composite byte
/// strings built by the helpers in records.hpp and used through read_txn.
namespace tables {
inline constexpr table<text_key, user_codec> users{db::users};
inline constexpr table<text_key, seen_codec> seen{db::seen};
inline constexpr table<text_key, oauth_codec> oauth_states{db::oauth_state};
inline constexpr table<text_key, hint_codec> hints{db::hints};
inline constexpr table<when_codec, unit_codec> hint_due{db::hint_due};
inline constexpr table<when_codec, unit_codec> schedule{db::schedule};
inline constexpr table<text_key, text_codec> resume{db::resume};
inline constexpr table<text_key, deletion_codec> deletions{db::deletions};
inline constexpr table<text_key, text_codec> deletion_requests{db::deletion_requests};
inline constexpr table<text_key, int_codec> counters{db::counters};
inline constexpr table<text_key, text_codec> attention{db::attention};
inline constexpr table<text_key, text_codec> dashboard{db::dashboard};
inline constexpr table<text_key, text_codec> meta{db::meta};
} // namespace tables

} // namespace igbridge
