#pragma once

#include "dialect.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace fakegram {

// -- records -----------------------------------------------------------------

struct account {
  std::string id;
  std::string username;
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
};

enum class token_kind { short_lived, long_lived, legacy };

struct token {
  std::string value;
  std::string account_id;
  token_kind kind = token_kind::short_lived;
  std::int64_t issued_at = 0;
  std::int64_t expires_at = 0; ///< 0: never (legacy)
  bool revoked = false;
};

enum class token_status { ok, unknown, revoked, expired };

enum class code_status { ok, unknown, used, expired, wrong_client, wrong_redirect };

struct subscription {
  std::string id;
  std::string object;       ///< graph "instagram", legacy "user"
  std::string aspect;       ///< legacy "media"
  std::string callback_url;
  std::vector<std::string> fields; ///< graph fields
};

/// How the next provider calls misbehave (POST /_fake/faults).
struct fault {
  unsigned status = 0; ///< 0: keep the real status
  int delay_ms = 0;
  bool malformed = false;
  bool rate_limit = false;
};

/// One attempt to deliver an update to --webhook-url (shown on the demo page).
struct notification {
  std::int64_t time = 0;
  std::string account_id;
  std::string media_id;
  int status = 0; ///< HTTP status, 0 when the request failed
  std::string error;
};

// -- the store -----------------------------------------------------------------

/// Everything fakegram knows, behind one mutex (it is a test fake: simple wins).
/// Methods return copies so no caller ever holds a reference past the lock.
class state {
public:
  explicit state(dialect dia);

  // accounts
  account create_account(const std::string& username); ///< finds or creates
  std::optional<account> find_account(const std::string& id) const;
  std::vector<account> accounts() const;

  // media
  std::optional<media> add_media(const std::string& account_id, std::optional<std::string> caption,
                                 std::vector<std::string> tags, std::string media_type,
                                 std::int64_t created_time);
  std::optional<media> find_media(const std::string& id) const;
  std::vector<media> media_of(const std::string& account_id) const; ///< newest first
  std::size_t media_count(const std::string& account_id) const;

  // authorization codes (single use, 10 minutes, bound to client and redirect_uri)
  std::string issue_code(const std::string& account_id, const std::string& client_id,
                         const std::string& redirect_uri);
  code_status redeem_code(const std::string& code, const std::string& client_id,
                          const std::string& redirect_uri, std::string& account_id);

  // tokens
  token issue_token(const std::string& account_id, token_kind kind);
  token_status check_token(const std::string& value, token& out) const;
  std::vector<std::string> valid_tokens(const std::string& account_id) const;
  int revoke_tokens(const std::string& account_id);

  // provider subscriptions
  subscription put_subscription(subscription sub); ///< replaces one for the same object
  std::vector<subscription> subscriptions() const;
  int delete_subscriptions(const std::string& id, const std::string& object); ///< "" = any

  // faults
  int set_fault(const fault& f, int count);
  std::optional<fault> take_fault();
  int pending_faults() const;

  // stats
  void count_call(const std::string& key);
  nlohmann::json stats() const;
  void reset_stats();

  // update deliveries
  void log_notification(notification n);
  std::vector<notification> notifications() const;

private:
  struct code_record {
    std::string account_id;
    std::string client_id;
    std::string redirect_uri;
    std::int64_t expires_at = 0;
    bool used = false;
  };

  std::string next_account_id();
  std::string next_media_id(const std::string& account_id);
  bool valid_locked(const token& t, std::int64_t now) const;

  dialect dia_;
  mutable std::mutex mutex_;
  std::vector<account> accounts_;
  std::vector<media> media_;
  std::map<std::string, code_record> codes_;
  std::map<std::string, token> tokens_;
  std::vector<subscription> subscriptions_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t next_subscription_ = 1;
  fault fault_;
  int fault_count_ = 0;
  std::map<std::string, std::uint64_t> calls_;
  std::deque<notification> notifications_;
};

} // namespace fakegram

namespace fakegram {

/// Instagram-like usernames: 1–30 of letters, digits, '.', '_'.
bool valid_username(const std::string& s);

} // namespace fakegram
