#pragma once

#include "dialect.hpp"
#include "http_types.hpp"
#include "state.hpp"

#include <optional>
#include <string>

namespace fakegram {

/// Graph envelope `{"error":{"message","type","code","error_subcode"?,"is_transient"?,"fbtrace_id"}}`;
/// `is_transient` appears only when given.
reply graph_error(unsigned status, int code, const std::string& message,
                  std::optional<int> subcode = std::nullopt,
                  const std::string& type = "OAuthException",
                  std::optional<bool> is_transient = std::nullopt);

/// Graph's standard message for a code ("(#10) Application does not have
/// permission for this action", …), for injected errors.
std::string graph_message_for(int code);

/// Whether graph marks errors with this code transient (throttling, outages).
bool graph_transient(int code);

/// Code 10, as graph answers a call the token's permissions do not cover.
reply permission_error(const std::string& detail);

/// Legacy API envelope `{"meta":{"error_type","code","error_message"}}`.
reply legacy_error(unsigned status, const std::string& type, const std::string& message);

/// The code exchange's error (`POST /oauth/access_token`, HTTP 400) in both
/// dialects: flat `{"error_type":"OAuthException","code":400,"error_message"}`,
/// as Business Login's "Sample Rejected Response" shows it.
reply oauth_error(const std::string& message);

/// A bad token: graph code 190 (subcode by cause), legacy OAuthAccessTokenException.
reply token_error(dialect dia, token_status why);

/// Unknown path or method in the current dialect.
reply not_found(dialect dia, const std::string& method, const std::string& path);

/// Graph's answer for an id the token cannot see (code 100, subcode 33).
reply graph_no_object(const std::string& subject, const std::string& method = "get");

} // namespace fakegram
