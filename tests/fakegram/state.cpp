/// Everything fakegram remembers, behind one mutex: accounts (two ids each),
/// posts, codes, tokens, subscriptions, fault slots, stats and deliveries.

#include "state.hpp"

#include "crypto.hpp"
#include "timefmt.hpp"

#include <algorithm>
#include <cmath>

namespace fakegram {

namespace {

constexpr std::int64_t code_ttl_s = 600;
constexpr std::int64_t short_token_ttl_s = 3600;   // graph: one hour
constexpr std::int64_t long_token_ttl_s = 5184000; // graph: 60 days, as expires_in
constexpr std::size_t notification_log_size = 50;

// First ids look like the real ones in the samples.
constexpr std::uint64_t graph_account_base = 17841400000000001ULL;
constexpr std::uint64_t legacy_account_base = 1574083ULL;
// App-scoped ids are a different numbering, as on Instagram: 17 digits from
// 2695…, a range no professional id (17 digits from 1784…) can ever equal.
// Above 2^53 like the real ones, so a client that reads the token answer's
// numeric user_id as a double loses digits here as it would against Meta.
constexpr std::uint64_t app_scoped_base = 26953715872360001ULL;
constexpr std::uint64_t graph_media_base = 17895695668004550ULL;
constexpr std::uint64_t graph_child_base = 17918195224100000ULL;
constexpr std::uint64_t legacy_media_base = 22699660ULL;
constexpr std::uint64_t legacy_child_base = 32699660ULL;
constexpr std::uint64_t legacy_caption_base = 26621408ULL;

} // namespace

state::state(dialect dia) : dia_(dia) {
  // nop
}

// -- accounts ----------------------------------------------------------------

account& state::create_account_locked(const std::string& username) {
  if (auto it = account_by_name_.find(username); it != account_by_name_.end()) {
    return accounts_[it->second];
  }
  auto n = accounts_.size();
  auto base = dia_ == dialect::graph ? graph_account_base : legacy_account_base;
  accounts_.push_back(
    account{std::to_string(base + n), std::to_string(app_scoped_base + n * 7919), username, false});
  auto& a = accounts_.back();
  account_by_id_.emplace(a.id, n);
  account_by_app_id_.emplace(a.app_scoped_id, n);
  account_by_name_.emplace(a.username, n);
  return a;
}

const account* state::find_locked(const std::string& id) const {
  auto it = account_by_id_.find(id);
  return it == account_by_id_.end() ? nullptr : &accounts_[it->second];
}

account state::create_account(const std::string& username) {
  std::lock_guard<std::mutex> lock(mutex_);
  return create_account_locked(username);
}

std::vector<state::seeded_account> state::seed_accounts(const std::string& prefix,
                                                        std::uint64_t from, std::uint64_t count,
                                                        token_kind kind,
                                                        const std::vector<std::string>& permissions) {
  std::vector<seeded_account> out;
  out.reserve(count);
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::uint64_t i = from; i < from + count; ++i) {
    const auto& who = create_account_locked(prefix + std::to_string(i));
    auto t = make_token(who.id, kind, permissions);
    put_token_locked(t);
    out.push_back({who, std::move(t)});
  }
  return out;
}

std::optional<account> state::find_account(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (const auto* a = find_locked(id)) {
    return *a;
  }
  return std::nullopt;
}

std::optional<account> state::find_account_by_any_id(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (const auto* a = find_locked(id)) {
    return *a;
  }
  if (auto it = account_by_app_id_.find(id); it != account_by_app_id_.end()) {
    return accounts_[it->second];
  }
  return std::nullopt;
}

std::vector<account> state::accounts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return accounts_;
}

bool state::set_subscribed(const std::string& account_id, bool subscribed) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = account_by_id_.find(account_id);
  if (it == account_by_id_.end()) {
    return false;
  }
  accounts_[it->second].subscribed = subscribed;
  return true;
}

// -- media -------------------------------------------------------------------

std::string state::next_media_id(const std::string& account_id) {
  if (dia_ == dialect::graph) {
    return std::to_string(graph_media_base + next_seq_);
  }
  return std::to_string(legacy_media_base + next_seq_) + "_" + account_id;
}

std::optional<media> state::add_media(const std::string& account_id, new_media in) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (find_locked(account_id) == nullptr) {
    return std::nullopt;
  }
  media m;
  m.id = next_media_id(account_id);
  m.account_id = account_id;
  m.seq = next_seq_;
  m.caption = std::move(in.caption);
  m.caption_id = std::to_string(legacy_caption_base + next_seq_);
  m.tags = std::move(in.tags);
  m.media_type = std::move(in.media_type);
  m.created_time = in.created_time;
  m.caption_visible_at_ms = in.caption_visible_at_ms;
  m.no_media_url = in.no_media_url;
  m.video_bytes = in.video_bytes;
  for (auto& type : in.children) {
    auto child = dia_ == dialect::graph
                   ? std::to_string(graph_child_base + next_child_)
                   : std::to_string(legacy_child_base + next_child_) + "_" + account_id;
    ++next_child_;
    child_parent_[child] = m.id;
    m.children.push_back(child);
    m.child_types.push_back(std::move(type));
  }
  ++next_seq_;
  media_by_id_.emplace(m.id, media_.size());
  media_by_account_[account_id].push_back(media_.size());
  media_.push_back(m);
  return m;
}

std::optional<media> state::find_media(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = media_by_id_.find(id); it != media_by_id_.end()) {
    return media_[it->second];
  }
  return std::nullopt;
}

std::optional<media> state::find_post_of(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto wanted = id;
  if (auto it = child_parent_.find(id); it != child_parent_.end()) {
    wanted = it->second;
  }
  if (auto it = media_by_id_.find(wanted); it != media_by_id_.end()) {
    return media_[it->second];
  }
  return std::nullopt;
}

std::vector<media> state::media_of(const std::string& account_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<media> out;
  auto it = media_by_account_.find(account_id);
  if (it == media_by_account_.end()) {
    return out;
  }
  for (auto i = it->second.rbegin(); i != it->second.rend(); ++i) {
    out.push_back(media_[*i]);
  }
  return out;
}

std::vector<media> state::media_page(const std::string& account_id,
                                     std::optional<std::uint64_t> before_seq, std::size_t limit,
                                     bool& more) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<media> out;
  more = false;
  auto it = media_by_account_.find(account_id);
  if (it == media_by_account_.end()) {
    return out;
  }
  const auto& ids = it->second; // oldest first: seq grows along it
  auto stop = ids.end();
  if (before_seq) {
    stop = std::lower_bound(ids.begin(), ids.end(), *before_seq,
                            [this](std::size_t i, std::uint64_t seq) { return media_[i].seq < seq; });
  }
  for (auto i = stop; i != ids.begin() && out.size() < limit;) {
    --i;
    out.push_back(media_[*i]);
  }
  more = static_cast<std::size_t>(stop - ids.begin()) > out.size();
  return out;
}

std::size_t state::media_count(const std::string& account_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = media_by_account_.find(account_id);
  return it == media_by_account_.end() ? 0 : it->second.size();
}

bool state::delete_media(const std::string& media_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = media_by_id_.find(media_id);
  if (it == media_by_id_.end()) {
    return false;
  }
  auto index = it->second;
  const auto& m = media_[index];
  auto& listed = media_by_account_[m.account_id];
  listed.erase(std::remove(listed.begin(), listed.end(), index), listed.end());
  for (const auto& child : m.children) {
    child_parent_.erase(child);
  }
  media_by_id_.erase(it);
  return true;
}

std::optional<media> state::edit_caption(const std::string& media_id,
                                         std::optional<std::string> caption,
                                         std::vector<std::string> tags) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = media_by_id_.find(media_id);
  if (it == media_by_id_.end()) {
    return std::nullopt;
  }
  auto& m = media_[it->second];
  m.caption = std::move(caption);
  m.tags = std::move(tags);
  m.caption_visible_at_ms = 0;
  return m;
}

// -- codes -------------------------------------------------------------------

std::string state::issue_code(const std::string& account_id, const std::string& client_id,
                              const std::string& redirect_uri, std::vector<std::string> scopes) {
  std::string code = "AQ" + random_hex(24);
  std::lock_guard<std::mutex> lock(mutex_);
  codes_[code] = code_record{account_id,       client_id, redirect_uri, std::move(scopes),
                             unix_now() + code_ttl_s, false};
  return code;
}

code_status state::redeem_code(const std::string& code, const std::string& client_id,
                               const std::string& redirect_uri, grant& out) {
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
  out.account_id = rec.account_id;
  out.scopes = rec.scopes;
  return code_status::ok;
}

// -- tokens ------------------------------------------------------------------

token state::make_token(const std::string& account_id, token_kind kind,
                        std::vector<std::string> permissions) const {
  token t;
  t.account_id = account_id;
  t.kind = kind;
  t.permissions = std::move(permissions);
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
  return t;
}

void state::put_token_locked(const token& t) {
  tokens_[t.value] = t;
  tokens_by_account_[t.account_id].push_back(t.value);
}

token state::issue_token(const std::string& account_id, token_kind kind,
                         std::vector<std::string> permissions) {
  auto t = make_token(account_id, kind, std::move(permissions));
  std::lock_guard<std::mutex> lock(mutex_);
  put_token_locked(t);
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
  std::vector<std::string> out;
  for (const auto& t : valid_token_records(account_id)) {
    out.push_back(t.value);
  }
  return out;
}

std::vector<token> state::valid_token_records(const std::string& account_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<token> out;
  auto now = unix_now();
  auto it = tokens_by_account_.find(account_id);
  if (it == tokens_by_account_.end()) {
    return out;
  }
  for (const auto& value : it->second) {
    const auto& t = tokens_.at(value);
    if (valid_locked(t, now)) {
      out.push_back(t);
    }
  }
  // In the order of the values, as before the per-account index.
  std::sort(out.begin(), out.end(), [](const token& a, const token& b) { return a.value < b.value; });
  return out;
}

int state::revoke_tokens(const std::string& account_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  int n = 0;
  auto now = unix_now();
  auto it = tokens_by_account_.find(account_id);
  if (it == tokens_by_account_.end()) {
    return 0;
  }
  for (const auto& value : it->second) {
    auto& t = tokens_.at(value);
    if (valid_locked(t, now)) {
      t.revoked = true;
      ++n;
    }
  }
  return n;
}

int state::age_tokens(const std::string& account_id, std::int64_t seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  int n = 0;
  auto it = tokens_by_account_.find(account_id);
  if (it == tokens_by_account_.end()) {
    return 0;
  }
  for (const auto& value : it->second) {
    auto& t = tokens_.at(value);
    t.issued_at -= seconds;
    if (t.expires_at != 0) {
      t.expires_at -= seconds;
    }
    ++n;
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

int state::delete_subscription_fields(const std::string& object,
                                      const std::vector<std::string>& fields) {
  std::lock_guard<std::mutex> lock(mutex_);
  int n = 0;
  for (auto& s : subscriptions_) {
    if (s.object != object) {
      continue;
    }
    auto before = s.fields.size();
    s.fields.erase(std::remove_if(s.fields.begin(), s.fields.end(),
                                  [&](const std::string& f) {
                                    return std::find(fields.begin(), fields.end(), f) != fields.end();
                                  }),
                   s.fields.end());
    n += static_cast<int>(before - s.fields.size());
  }
  subscriptions_.erase(std::remove_if(subscriptions_.begin(), subscriptions_.end(),
                                      [&](const subscription& s) {
                                        return s.object == object && s.fields.empty();
                                      }),
                       subscriptions_.end());
  return n;
}

// -- faults ------------------------------------------------------------------

int state::set_fault(const fault& f, int count) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& s = slot(f.target);
  s = fault_slot{f, std::max(count, 0), 0, {}};
  return s.count;
}

std::optional<fault> state::take_fault(fault_target target, const std::string& account_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& s = slot(target);
  auto now = unix_now_ms();
  if (s.held_until_ms != 0) {
    if (now >= s.held_until_ms) {
      s = fault_slot{}; // the hold is over and with it the fault
      return std::nullopt;
    }
    if (!s.held_account.empty() && s.held_account != account_id) {
      return std::nullopt;
    }
    auto f = s.f;
    // Time left, in minutes rounded up to 60 ms, as the usage header says it.
    f.regain_minutes = std::ceil(static_cast<double>(s.held_until_ms - now) / 60.0) / 1000.0;
    return f;
  }
  if (s.count <= 0) {
    return std::nullopt;
  }
  if (!s.f.account_id.empty() && s.f.account_id != account_id) {
    return std::nullopt; // another account's calls pass untouched
  }
  if (s.f.rate_limit == rate_limit_kind::buc && account_id.empty()) {
    return std::nullopt; // a Business Use Case limit needs an account to belong to
  }
  --s.count;
  if (s.f.hold) {
    s.held_until_ms = now + static_cast<std::int64_t>(s.f.regain_minutes * 60000.0);
    bool per_account = s.f.rate_limit == rate_limit_kind::buc || !s.f.account_id.empty();
    s.held_account = per_account ? account_id : std::string();
  }
  return s.f;
}

int state::pending_faults(fault_target target) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto& s = slot(target);
  bool holding = s.held_until_ms != 0 && unix_now_ms() < s.held_until_ms;
  return s.count + (holding ? 1 : 0);
}

std::int64_t state::held_until_ms(fault_target target) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto& s = slot(target);
  return s.held_until_ms != 0 && unix_now_ms() < s.held_until_ms ? s.held_until_ms : 0;
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
