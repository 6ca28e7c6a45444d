#include "state.hpp"

#include "crypto.hpp"
#include "timefmt.hpp"

#include <algorithm>

namespace fakegram {

namespace {

constexpr std::int64_t code_ttl_s = 600;
constexpr std::int64_t short_token_ttl_s = 3600;
constexpr std::int64_t long_token_ttl_s = 5184000; // 60 days, as graph's expires_in
constexpr std::size_t notification_log_size = 50;

// First ids look like the real ones in the samples.
constexpr std::uint64_t graph_account_base = 17841400000000001ULL;
constexpr std::uint64_t legacy_account_base = 1574083ULL;
constexpr std::uint64_t graph_media_base = 17895695668004550ULL;
constexpr std::uint64_t legacy_media_base = 22699660ULL;
constexpr std::uint64_t legacy_caption_base = 26621408ULL;

} // namespace

state::state(dialect dia) : dia_(dia) {
  // nop
}

// -- accounts ----------------------------------------------------------------

std::string state::next_account_id() {
  auto base = dia_ == dialect::graph ? graph_account_base : legacy_account_base;
  return std::to_string(base + accounts_.size());
}

account state::create_account(const std::string& username) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& a : accounts_) {
    if (a.username == username) {
      return a;
    }
  }
  account a{next_account_id(), username};
  accounts_.push_back(a);
  return a;
}

std::optional<account> state::find_account(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& a : accounts_) {
    if (a.id == id) {
      return a;
    }
  }
  return std::nullopt;
}

std::vector<account> state::accounts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return accounts_;
}

// -- media -------------------------------------------------------------------

std::string state::next_media_id(const std::string& account_id) {
  if (dia_ == dialect::graph) {
    return std::to_string(graph_media_base + next_seq_);
  }
  return std::to_string(legacy_media_base + next_seq_) + "_" + account_id;
}

std::optional<media> state::add_media(const std::string& account_id,
                                      std::optional<std::string> caption,
                                      std::vector<std::string> tags, std::string media_type,
                                      std::int64_t created_time) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto known = std::any_of(accounts_.begin(), accounts_.end(),
                           [&](const account& a) { return a.id == account_id; });
  if (!known) {
    return std::nullopt;
  }
  media m;
  m.id = next_media_id(account_id);
  m.account_id = account_id;
  m.seq = next_seq_;
  m.caption = std::move(caption);
  m.caption_id = std::to_string(legacy_caption_base + next_seq_);
  m.tags = std::move(tags);
  m.media_type = std::move(media_type);
  m.created_time = created_time;
  ++next_seq_;
  media_.push_back(m);
  return m;
}

std::optional<media> state::find_media(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& m : media_) {
    if (m.id == id) {
      return m;
    }
  }
  return std::nullopt;
}

std::vector<media> state::media_of(const std::string& account_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<media> out;
  for (auto it = media_.rbegin(); it != media_.rend(); ++it) {
    if (it->account_id == account_id) {
      out.push_back(*it);
    }
  }
  return out;
}

std::size_t state::media_count(const std::string& account_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<std::size_t>(std::count_if(
    media_.begin(), media_.end(), [&](const media& m) { return m.account_id == account_id; }));
}

// -- codes -------------------------------------------------------------------

std::string state::issue_code(const std::string& account_id, const std::string& client_id,
                              const std::string& redirect_uri) {
  std::string code = "AQ" + random_hex(24);
  std::lock_guard<std::mutex> lock(mutex_);
  codes_[code] = code_record{account_id, client_id, redirect_uri, unix_now() + code_ttl_s, false};
  return code;
}

code_status state::redeem_code(const std::string& code, const std::string& client_id,
                               const std::string& redirect_uri, std::string& account_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = codes_.find(code);
  if (it == codes_.end()) {
    return code_status::unknown;
  }
  auto& rec = it->second;
  if (rec.used) {
    return code_status::used;
  }
  if (unix_now() >= rec.expires_at) {
    return code_status::expired;
  }
  if (rec.client_id != client_id) {
    return code_status::wrong_client;
  }
  if (rec.redirect_uri != redirect_uri) {
    return code_status::wrong_redirect;
  }
  // Only a successful exchange burns the code; a rejected attempt leaves it usable.
  rec.used = true;
  account_id = rec.account_id;
  return code_status::ok;
}

// -- tokens ------------------------------------------------------------------

token state::issue_token(const std::string& account_id, token_kind kind) {
  token t;
  t.account_id = account_id;
  t.kind = kind;
  t.issued_at = unix_now();
  switch (kind) {
    case token_kind::short_lived:
      t.value = "IGAAS" + random_hex(32);
      t.expires_at = t.issued_at + short_token_ttl_s;
      break;
    case token_kind::long_lived:
      t.value = "IGAAL" + random_hex(32);
      t.expires_at = t.issued_at + long_token_ttl_s;
      break;
    case token_kind::legacy:
      // Legacy tokens read "<user id>.<7 hex>.<32 hex>" and never expire.
      t.value = account_id + "." + random_hex(4).substr(0, 7) + "." + random_hex(16);
      t.expires_at = 0;
      break;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  tokens_[t.value] = t;
  return t;
}

bool state::valid_locked(const token& t, std::int64_t now) const {
  return !t.revoked && (t.expires_at == 0 || now < t.expires_at);
}

token_status state::check_token(const std::string& value, token& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = tokens_.find(value);
  if (it == tokens_.end()) {
    return token_status::unknown;
  }
  out = it->second;
  if (out.revoked) {
    return token_status::revoked;
  }
  if (out.expires_at != 0 && unix_now() >= out.expires_at) {
    return token_status::expired;
  }
  return token_status::ok;
}

std::vector<std::string> state::valid_tokens(const std::string& account_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  auto now = unix_now();
  for (const auto& [value, t] : tokens_) {
    if (t.account_id == account_id && valid_locked(t, now)) {
      out.push_back(value);
    }
  }
  return out;
}

int state::revoke_tokens(const std::string& account_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  int n = 0;
  auto now = unix_now();
  for (auto& [value, t] : tokens_) {
    if (t.account_id == account_id && valid_locked(t, now)) {
      t.revoked = true;
      ++n;
    }
  }
  return n;
}

// -- subscriptions -------------------------------------------------------------

subscription state::put_subscription(subscription sub) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = std::find_if(subscriptions_.begin(), subscriptions_.end(),
                         [&](const subscription& s) { return s.object == sub.object; });
  if (it != subscriptions_.end()) {
    sub.id = it->id;
    *it = sub;
  } else {
    sub.id = std::to_string(next_subscription_++);
    subscriptions_.push_back(sub);
  }
  return sub;
}

std::vector<subscription> state::subscriptions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return subscriptions_;
}

int state::delete_subscriptions(const std::string& id, const std::string& object) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto before = subscriptions_.size();
  subscriptions_.erase(std::remove_if(subscriptions_.begin(), subscriptions_.end(),
                                      [&](const subscription& s) {
                                        return (id.empty() || s.id == id)
                                               && (object.empty() || s.object == object);
                                      }),
                       subscriptions_.end());
  return static_cast<int>(before - subscriptions_.size());
}

// -- faults ------------------------------------------------------------------

int state::set_fault(const fault& f, int count) {
  std::lock_guard<std::mutex> lock(mutex_);
  fault_ = f;
  fault_count_ = std::max(count, 0);
  return fault_count_;
}

std::optional<fault> state::take_fault() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fault_count_ <= 0) {
    return std::nullopt;
  }
  --fault_count_;
  return fault_;
}

int state::pending_faults() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fault_count_;
}

// -- stats -------------------------------------------------------------------

void state::count_call(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++calls_[key];
}

nlohmann::json state::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  nlohmann::json calls = nlohmann::json::object();
  for (const auto& [key, n] : calls_) {
    calls[key] = n;
  }
  return {{"calls", calls}};
}

void state::reset_stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  calls_.clear();
}

// -- notifications -------------------------------------------------------------

void state::log_notification(notification n) {
  std::lock_guard<std::mutex> lock(mutex_);
  notifications_.push_back(std::move(n));
  while (notifications_.size() > notification_log_size) {
    notifications_.pop_front();
  }
}

std::vector<notification> state::notifications() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {notifications_.begin(), notifications_.end()};
}

} // namespace fakegram

namespace fakegram {

bool valid_username(const std::string& s) {
  if (s.empty() || s.size() > 30) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
           || c == '_';
  });
}

} // namespace fakegram
