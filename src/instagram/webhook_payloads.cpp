// Webhook payloads of both dialects, read in one SAX pass (nlohmann's
// sax_parse under the limits of bounded_json.hpp): no DOM is built, only
// the ids are kept. A DOM cost about 40 allocations per 1-entry webhook,
// on the HTTP threads, before its acknowledgement (issue 12).
//
// The results are those of reading the payload into a DOM and looking
// fields up: where a key repeats within an object the last one counts, and
// a field's value is judged only when its object closes.

#include <algorithm>
#include <charconv>
#include <unordered_set>

#include "bounded_json.hpp"
#include "igbridge/webhook.hpp"

namespace igbridge {

namespace {

using json = nlohmann::json;

/// Instagram ids are short digit strings; anything else in an id field is
/// refused so that hostile ids never reach the store or the logs.
constexpr std::size_t max_id_size = 64;

bool plausible_id(std::string_view id) {
  return !id.empty() && id.size() <= max_id_size &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '_' || c == '-';
         });
}

/// A JSON value as these payloads see it: text, a non-negative integer,
/// the start of an object or array, or anything else.
struct token {
  enum kind_t { text, natural, object, array, other };
  kind_t kind = other;
  std::string_view chars; // text
  uint64_t number = 0;    // natural
};

/// The last value given to an id field: a string or an integer (kept digit
/// for digit) that is a plausible id, or not. The buffer is reused from
/// entry to entry.
struct id_slot {
  enum state_t { missing, valid, invalid };
  state_t state = missing;
  std::string value;

  void reset() { state = missing; }

  void set(const token& t) {
    if (t.kind == token::text) {
      value.assign(t.chars);
    } else if (t.kind == token::natural) {
      char digits[24];
      auto end = std::to_chars(digits, digits + sizeof digits, t.number).ptr;
      value.assign(digits, end);
    } else {
      state = invalid;
      return;
    }
    state = plausible_id(value) ? valid : invalid;
  }
};

/// The ids of a payload in order of first appearance, each once. A linear
/// search while there are few; a set beside the list past that, since a
/// linear search per entry cost a 1000-entry payload half a million string
/// compares before its acknowledgement.
class distinct_ids {
public:
  void add(std::string_view id) {
    if (list_.size() < linear_limit) {
      if (std::find(list_.begin(), list_.end(), id) == list_.end()) {
        list_.emplace_back(id);
      }
      return;
    }
    if (index_.empty()) {
      index_.insert(list_.begin(), list_.end());
    }
    if (index_.emplace(id).second) {
      list_.emplace_back(id);
    }
  }

  void clear() {
    list_.clear();
    index_.clear();
  }

  std::vector<std::string> take() { return std::move(list_); }

private:
  static constexpr std::size_t linear_limit = 16;
  std::vector<std::string> list_;
  std::unordered_set<std::string> index_;
};

/// Turns nlohmann's SAX events into tokens for `Derived::on_value`, keys
/// for `on_key` and container ends for `on_end`, and keeps the depth: the
/// number of containers open around the value, key or end at hand.
template <class Derived>
class payload_sax {
public:
  bool null() { return self().on_value(token{}); }
  bool boolean(bool) { return self().on_value(token{}); }
  bool number_integer(json::number_integer_t v) {
    // The parser reports non-negative integers as unsigned, except "-0".
    return v >= 0 ? natural(static_cast<uint64_t>(v)) : self().on_value(token{});
  }
  bool number_unsigned(json::number_unsigned_t v) { return natural(v); }
  bool number_float(json::number_float_t) { return self().on_value(token{}); }
  bool string(json::string_t& s) { return self().on_value(token{token::text, s, 0}); }
  bool start_object() { return open(token::object); }
  bool key(json::string_t& k) { return self().on_key(k); }
  bool end_object() { return close(); }
  bool start_array() { return open(token::array); }
  bool end_array() { return close(); }

protected:
  int depth() const { return depth_; }

private:
  Derived& self() { return static_cast<Derived&>(*this); }
  bool natural(uint64_t v) { return self().on_value(token{token::natural, {}, v}); }
  bool open(token::kind_t kind) {
    bool go_on = self().on_value(token{kind, {}, 0});
    ++depth_;
    return go_on;
  }
  bool close() {
    --depth_;
    return self().on_end();
  }

  int depth_ = 0;
};

/// graph: {"object":"instagram","entry":[{"id":"...","changes":[...]},...]}.
/// Depth 1 is the top object's fields, 2 the entry list's elements, 3 an
/// entry's fields. Two kinds of entry are well formed but name no account
/// to fetch (DESIGN §9): the App Dashboard's "Test" payloads (entry id "0")
/// and messaging entries (`messaging[]` without `changes`: a direct message
/// says nothing about the account's posts).
class graph_sax : public payload_sax<graph_sax> {
public:
  bool on_value(const token& t) {
    switch (depth()) {
      case 0:
        return t.kind == token::object;
      case 1:
        top_value(t);
        return true;
      case 2:
        if (in_entries_) {
          entry_start(t);
        }
        return true;
      case 3:
        if (in_entry_) {
          entry_field_value(t);
        }
        return true;
      default:
        return true;
    }
  }

  bool on_key(std::string_view k) {
    if (depth() == 1) {
      top_key_ = k == "object" ? top_field::object : k == "entry" ? top_field::entry
                                                                  : top_field::other;
    } else if (depth() == 3 && in_entry_) {
      entry_key_ = k == "id"          ? entry_field::id
                   : k == "changes"   ? entry_field::changes
                   : k == "messaging" ? entry_field::messaging
                                      : entry_field::other;
    }
    return true;
  }

  bool on_end() {
    if (depth() == 2 && in_entry_) {
      entry_end();
    } else if (depth() == 1 && in_entries_) {
      in_entries_ = false;
    }
    return true;
  }

  std::optional<std::vector<std::string>> result() {
    if (!is_instagram_ || !has_entries_ || !entries_ok_) {
      return std::nullopt;
    }
    return ids_.take();
  }

private:
  enum class top_field { other, object, entry };
  enum class entry_field { other, id, changes, messaging };

  void top_value(const token& t) {
    if (top_key_ == top_field::object) {
      is_instagram_ = t.kind == token::text && t.chars == "instagram";
    } else if (top_key_ == top_field::entry) {
      // A repeated "entry" replaces what an earlier one held.
      has_entries_ = true;
      entries_ok_ = t.kind == token::array;
      in_entries_ = entries_ok_;
      entries_ = 0;
      ids_.clear();
    }
  }

  void entry_start(const token& t) {
    if (++entries_ > max_webhook_entries || t.kind != token::object) {
      entries_ok_ = false;
      return;
    }
    in_entry_ = true;
    entry_key_ = entry_field::other;
    id_.reset();
    changes_ok_ = true;
    messaging_ok_ = true;
    has_changes_ = false;
    has_messaging_ = false;
  }

  void entry_field_value(const token& t) {
    if (entry_key_ == entry_field::id) {
      id_.set(t);
    } else if (entry_key_ == entry_field::changes) {
      changes_ok_ = t.kind == token::array;
      has_changes_ = true;
    } else if (entry_key_ == entry_field::messaging) {
      messaging_ok_ = t.kind == token::array;
      has_messaging_ = true;
    }
  }

  void entry_end() {
    in_entry_ = false;
    if (id_.state != id_slot::valid || !changes_ok_ || !messaging_ok_) {
      entries_ok_ = false;
    }
    bool test_payload = id_.value == "0";
    bool messaging_only = has_messaging_ && !has_changes_;
    if (entries_ok_ && !test_payload && !messaging_only) {
      ids_.add(id_.value);
    }
  }

  top_field top_key_ = top_field::other;
  entry_field entry_key_ = entry_field::other;
  bool is_instagram_ = false; // the last "object" is "instagram"
  bool has_entries_ = false;
  bool entries_ok_ = false;   // the last "entry" is a list of good entries, so far
  bool in_entries_ = false;   // inside the last "entry" list
  bool in_entry_ = false;     // inside one of its objects
  bool changes_ok_ = true;
  bool messaging_ok_ = true;
  bool has_changes_ = false;
  bool has_messaging_ = false;
  std::size_t entries_ = 0;
  id_slot id_;
  distinct_ids ids_;
};

/// legacy: [{"object":"user","object_id":"..."},...]. Depth 1 is the list's
/// elements, 2 an update's fields. A bad update ends the parse: unlike a
/// repeated key, nothing later can replace it.
class legacy_sax : public payload_sax<legacy_sax> {
public:
  bool on_value(const token& t) {
    switch (depth()) {
      case 0:
        return t.kind == token::array;
      case 1:
        if (++updates_ > max_webhook_entries || t.kind != token::object) {
          return false;
        }
        field_ = update_field::other;
        object_ = object_kind::missing;
        id_.reset();
        return true;
      case 2:
        if (field_ == update_field::object) {
          object_ = t.kind != token::text ? object_kind::invalid
                    : t.chars == "user"   ? object_kind::user
                                          : object_kind::other;
        } else if (field_ == update_field::object_id) {
          id_.set(t);
        }
        return true;
      default:
        return true;
    }
  }

  bool on_key(std::string_view k) {
    if (depth() == 2) {
      field_ = k == "object" ? update_field::object : k == "object_id" ? update_field::object_id
                                                                       : update_field::other;
    }
    return true;
  }

  bool on_end() {
    if (depth() != 1) {
      return true;
    }
    switch (object_) {
      case object_kind::missing:
      case object_kind::invalid:
        return false;
      case object_kind::other:
        return true; // tag/location/geography subscriptions are not ours
      case object_kind::user:
        break;
    }
    if (id_.state != id_slot::valid) {
      return false;
    }
    ids_.add(id_.value);
    return true;
  }

  std::vector<std::string> result() { return ids_.take(); }

private:
  enum class update_field { other, object, object_id };
  enum class object_kind { missing, invalid, user, other };

  update_field field_ = update_field::other;
  object_kind object_ = object_kind::missing;
  std::size_t updates_ = 0;
  id_slot id_;
  distinct_ids ids_;
};

} // namespace

std::optional<std::vector<std::string>> parse_graph_update(std::string_view body) {
  graph_sax sax;
  if (!detail::sax_parse_bounded(body, sax)) {
    return std::nullopt;
  }
  return sax.result();
}

std::optional<std::vector<std::string>> parse_legacy_update(std::string_view body) {
  legacy_sax sax;
  if (!detail::sax_parse_bounded(body, sax)) {
    return std::nullopt;
  }
  return sax.result();
}

} // namespace igbridge
