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
signed_update build_graph_change(const std::string& app_secret, const std::string& account_id,
                                 std::int64_t time, const std::string& field,
                                 const nlohmann::ordered_json& value);

/// The dialect's "this account has new media" update, signed with the client
/// secret. Graph has no such webhook: it sends a `mentions` change naming the
/// media (only with --media-webhooks, a demo convenience).
signed_update build_update(dialect dia, const std::string& client_secret,
                           const std::string& account_id, const std::string& media_id,
                           std::int64_t time, const std::string& subscription_id);

} // namespace fakegram
