#pragma once

#include "dialect.hpp"
#include "http_types.hpp"
#include "state.hpp"

#include <optional>
#include <string>

namespace fakegram {

/// Graph envelope `{"error":{"message","type","code","error_subcode"?,"fbtrace_id"}}`.
reply graph_error(unsigned status, int code, const std::string& message,
                  std::optional<int> subcode = std::nullopt,
                  const std::string& type = "OAuthException");

/// Legacy API envelope `{"meta":{"error_type","code","error_message"}}`.
reply legacy_error(unsigned status, const std::string& type, const std::string& message);

/// Legacy token endpoint envelope `{"error_type","code","error_message"}` (flat).
reply legacy_oauth_error(const std::string& message);

/// The token endpoint's error in the current dialect (HTTP 400).
reply oauth_error(dialect dia, int graph_code, const std::string& message);

/// A bad token: graph code 190 (subcode by cause), legacy OAuthAccessTokenException.
reply token_error(dialect dia, token_status why);

/// Unknown path or method in the current dialect.
reply not_found(dialect dia, const std::string& method, const std::string& path);

// -- injected faults (POST /_fake/faults) --------------------------------------

reply fault_status(dialect dia, unsigned status);
reply fault_rate_limit(dialect dia);
reply fault_malformed();

} // namespace fakegram
