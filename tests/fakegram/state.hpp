#pragma once

#include "dialect.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace fakegram {

// -- records -----------------------------------------------------------------

/// An Instagram professional account. It has two ids, as with Instagram Login:
/// `id` is the professional account id (webhook `entry[].id`, `/me` `user_id`,
/// every /_fake/accounts/{id} route); `app_scoped_id` is what the code
/// exchange's `user_id`, `/me`'s `id` and signed_requests carry.
struct account {
  std::string id;
  std::string app_scoped_id;
  std::string username;
  bool subscribed = false; ///< enabled by POST /me/subscribed_apps (for all the app's fields)
};

struct media {
  std::string id;
  std::string account_id;
  std::uint64_t seq = 0;         ///< creation order; newest first = highest seq first
  std::optional<std::string> caption;
  std::string caption_id;        ///< legacy caption object id
  std::vector<std::string> tags; ///< lower case, no '#'
  std::string media_type;        ///< IMAGE, VIDEO or CAROUSEL_ALBUM
  std::int64_t created_time = 0; ///< unix seconds
  std::int64_t caption_visible_at_ms = 0; ///< caption and tags are hidden before (unix ms)
  bool no_media_url = false;     ///< answers omit media_url, as for copyrighted media
  std::vector<std::string> children;    ///< carousel children, in order
  std::vector<std::string> child_types; ///< their media_type (IMAGE or VIDEO), parallel to children
  std::uint64_t video_bytes = 0; ///< VIDEO: about this many bytes (0: a small video)

  /// Whether the API shows the caption (and tags) at `now_ms`.
  bool caption_shown(std::int64_t now_ms) const { return now_ms >= caption_visible_at_ms; }
};

enum class token_kind { short_lived, long_lived, legacy };

struct token {
  std::string value;
  std::string account_id;
  token_kind kind = token_kind::short_lived;
  std::vector<std::string> permissions; ///< granted scopes
  std::int64_t issued_at = 0;
  std::int64_t expires_at = 0; ///< 0: never (legacy)
  bool revoked = false;
};

enum class token_status { ok, unknown, revoked, expired };

enum class code_status { ok, unknown, used, expired, wrong_client, wrong_redirect };

/// What a redeemed authorization code grants.
struct grant {
  std::string account_id;
  std::vector<std::string> scopes;
};

struct subscription {
  std::string id;
  std::string object;       ///< graph "instagram", legacy "user"
  std::string aspect;       ///< legacy "media"
  std::string callback_url;
  std::vector<std::string> fields; ///< graph fields
  std::string version;             ///< graph API version the fields were subscribed with
};

/// Where an injected fault strikes.
enum class fault_target { api, cdn };

/// Which rate limit an injected fault impersonates.
enum class rate_limit_kind {
  none,
  app,    ///< graph: HTTP 403, code 4, X-App-Usage at 100
  buc,    ///< graph: HTTP 400, code 80002, X-Business-Use-Case-Usage at 100
  legacy, ///< legacy: HTTP 429 OAuthRateLimitException
};

/// How the next calls misbehave (POST /_fake/faults).
struct fault {
  fault_target target = fault_target::api;
  std::string account_id; ///< "": every call; else only calls made with this account's tokens
  unsigned status = 0;    ///< 0: keep the real status (with error_code: 400)
  int delay_ms = 0;
  bool malformed = false;
  rate_limit_kind rate_limit = rate_limit_kind::none;
  double regain_minutes = 1; ///< BUC estimated_time_to_regain_access; a hold's length
  int error_code = 0;        ///< 0: none; else Meta's error envelope with this code
  std::optional<int> error_subcode;
  std::optional<bool> is_transient; ///< graph: the envelope's is_transient, when set explicitly
  /// From the first call it strikes, it answers every call it applies to
  /// (for a BUC limit: that account's) for regain_minutes, then it is gone.
  bool hold = false;
};

/// One attempt to deliver something to igbridge (shown on the demo page).
struct notification {
  std::int64_t time = 0;
  std::string what; ///< "media 123", "mention", "deauthorize", …
  std::string account_id;
  int status = 0;   ///< HTTP status, 0 when the request failed
  std::string error;
};

// -- the store -----------------------------------------------------------------

/// Everything fakegram knows, behind one mutex (it is a test fake: simple wins).
/// Methods return copies so no caller ever holds a reference past the lock,
/// and none does I/O while holding it.
class state {
public:
  explicit state(dialect dia);

  // accounts
  account create_account(const std::string& username); ///< finds or creates
  /// An account with one valid token, as a finished link leaves it.
  struct seeded_account {
    account who;
    token tok;
  };
  /// Finds or creates `count` accounts named `prefix` + number (from `from`
  /// on), each with a fresh token of `kind`: N linked accounts without N
  /// OAuth round trips (benchmarks).
  std::vector<seeded_account> seed_accounts(const std::string& prefix, std::uint64_t from,
                                            std::uint64_t count, token_kind kind,
                                            const std::vector<std::string>& permissions);
  std::optional<account> find_account(const std::string& id) const; ///< professional id
  std::optional<account> find_account_by_any_id(const std::string& id) const; ///< either id
  std::vector<account> accounts() const;
  bool set_subscribed(const std::string& account_id, bool subscribed);

  // media
  struct new_media {
    std::optional<std::string> caption;
    std::vector<std::string> tags;
    std::string media_type = "IMAGE";
    std::int64_t created_time = 0;
    std::int64_t caption_visible_at_ms = 0;
    bool no_media_url = false;
    std::vector<std::string> children; ///< carousel children to create: their media types
    std::uint64_t video_bytes = 0;
  };
  std::optional<media> add_media(const std::string& account_id, new_media m);
  std::optional<media> find_media(const std::string& id) const; ///< a post, not a child
  /// The post `id` is, or the carousel that has `id` as a child.
  std::optional<media> find_post_of(const std::string& id) const;
  std::vector<media> media_of(const std::string& account_id) const; ///< newest first
  /// Up to `limit` of an account's media created before `before_seq` (from
  /// the newest when absent), newest first, without copying the rest;
  /// `more` says whether older ones follow.
  std::vector<media> media_page(const std::string& account_id,
                                std::optional<std::uint64_t> before_seq, std::size_t limit,
                                bool& more) const;
  std::size_t media_count(const std::string& account_id) const;
  /// Removes a post (and its carousel children) from every lookup, as if it
  /// never existed; false when unknown. Its record stays in media_ unlisted,
  /// so the other posts' indexes hold.
  bool delete_media(const std::string& media_id);
  /// Replaces a post's caption (and tags) and shows it at once.
  std::optional<media> edit_caption(const std::string& media_id, std::optional<std::string> caption,
                                    std::vector<std::string> tags);

  // authorization codes (single use, 10 minutes, bound to client and redirect_uri)
  std::string issue_code(const std::string& account_id, const std::string& client_id,
                         const std::string& redirect_uri, std::vector<std::string> scopes);
  code_status redeem_code(const std::string& code, const std::string& client_id,
                          const std::string& redirect_uri, grant& out);

  // tokens
  token issue_token(const std::string& account_id, token_kind kind,
                    std::vector<std::string> permissions);
  /// Fills `out` whenever the token is known, even revoked or expired.
  token_status check_token(const std::string& value, token& out) const;
  std::vector<std::string> valid_tokens(const std::string& account_id) const;
  std::vector<token> valid_token_records(const std::string& account_id) const;
  int revoke_tokens(const std::string& account_id);
  /// Moves issued_at and expires_at of the account's tokens `seconds` back.
  int age_tokens(const std::string& account_id, std::int64_t seconds);

  // provider subscriptions
  subscription put_subscription(subscription sub); ///< replaces one for the same object
  std::vector<subscription> subscriptions() const;
  int delete_subscriptions(const std::string& id, const std::string& object); ///< "" = any
  /// Removes some fields of the object's subscription (the object goes when none is left).
  int delete_subscription_fields(const std::string& object, const std::vector<std::string>& fields);

  // faults: one slot per target
  int set_fault(const fault& f, int count);
  /// Consumes the target's fault when it applies to a call made for
  /// `account_id` ("" = no account token). A hold is not consumed: while it
  /// lasts it answers with regain_minutes set to the time left.
  std::optional<fault> take_fault(fault_target target, const std::string& account_id);
  int pending_faults(fault_target target) const; ///< a hold armed or running counts 1
  /// When the target's running hold ends (unix ms), 0 when none runs.
  std::int64_t held_until_ms(fault_target target) const;

  // stats
  void count_call(const std::string& key);
  nlohmann::json stats() const;
  void reset_stats();

  // deliveries to igbridge
  void log_notification(notification n);
  std::vector<notification> notifications() const;

private:
  struct code_record {
    std::string account_id;
    std::string client_id;
    std::string redirect_uri;
    std::vector<std::string> scopes;
    std::int64_t expires_at = 0;
    bool used = false;
  };

  struct fault_slot {
    fault f;
    int count = 0;
    std::int64_t held_until_ms = 0; ///< a running hold ends then (unix ms); 0: none
    std::string held_account;       ///< the account it holds; "": every call
  };

  std::string next_media_id(const std::string& account_id);
  account& create_account_locked(const std::string& username);
  token make_token(const std::string& account_id, token_kind kind,
                   std::vector<std::string> permissions) const;
  void put_token_locked(const token& t);
  const account* find_locked(const std::string& id) const;
  bool valid_locked(const token& t, std::int64_t now) const;
  fault_slot& slot(fault_target t) { return faults_[t == fault_target::api ? 0 : 1]; }
  const fault_slot& slot(fault_target t) const { return faults_[t == fault_target::api ? 0 : 1]; }

  dialect dia_;
  mutable std::mutex mutex_;
  std::vector<account> accounts_;
  // Indexes into accounts_ and media_, so that a fake with a million
  // accounts answers as fast as one with ten (benchmarks seed that many).
  std::unordered_map<std::string, std::size_t> account_by_id_;
  std::unordered_map<std::string, std::size_t> account_by_app_id_;
  std::unordered_map<std::string, std::size_t> account_by_name_;
  std::vector<media> media_;
  std::unordered_map<std::string, std::size_t> media_by_id_;
  std::unordered_map<std::string, std::vector<std::size_t>> media_by_account_; ///< oldest first
  std::unordered_map<std::string, std::vector<std::string>> tokens_by_account_;
  std::map<std::string, std::string> child_parent_; ///< carousel child id -> post id
  std::map<std::string, code_record> codes_;
  std::map<std::string, token> tokens_;
  std::vector<subscription> subscriptions_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t next_child_ = 0;
  std::uint64_t next_subscription_ = 1;
  fault_slot faults_[2];
  std::map<std::string, std::uint64_t> calls_;
  std::deque<notification> notifications_;
};

} // namespace fakegram

namespace fakegram {

/// Instagram-like usernames: 1–30 of letters, digits, '.', '_'.
bool valid_username(const std::string& s);

} // namespace fakegram
