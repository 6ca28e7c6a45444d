#pragma once

#include "dialect.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace fakegram {

/// A webhook body and the header that signs it.
struct signed_update {
  std::string body;
  std::string signature_header; ///< X-Hub-Signature-256 (graph) or X-Hub-Signature (legacy)
  std::string signature;        ///< "sha256=<hex>" (graph) or "<hex>" (legacy)
};

/// A graph change notification for one account, signed with the app secret:
/// `{"object":"instagram","entry":[{"id","time","changes":[{"field","value"}]}]}`.
/// The App Dashboard's "Test" sends this shape with `account_id` "0".
signed_update build_graph_change(const std::string& app_secret, const std::string& account_id,
                                 std::int64_t time, const std::string& field,
                                 const nlohmann::ordered_json& value);

/// A graph messaging notification (a direct message to the account), as
/// Meta's examples show it, times in milliseconds:
/// `{"object":"instagram","entry":[{"id","time","messaging":[{"sender":{"id"},
/// "recipient":{"id"},"timestamp","message":{"mid","text"}}]}]}`.
signed_update build_graph_message(const std::string& app_secret, const std::string& account_id,
                                  const std::string& sender_id, std::int64_t time_ms,
                                  const std::string& mid, const std::string& text);

/// The dialect's "this account has new media" update, signed with `secret`
/// (legacy: HMAC-SHA1 hex). Graph has no such webhook: it sends a `mentions`
/// change naming the media (only with --media-webhooks, a demo convenience).
signed_update build_update(dialect dia, const std::string& secret,
                           const std::string& account_id, const std::string& media_id,
                           std::int64_t time, const std::string& subscription_id);

} // namespace fakegram
