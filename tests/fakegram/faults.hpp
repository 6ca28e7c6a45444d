#pragma once

#include "app.hpp"
#include "http_types.hpp"
#include "state.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace fakegram {

/// Reads a POST /_fake/faults body into `f` and `count`; "" when valid, else
/// what is wrong. Keys: status, delay_ms, malformed, rate_limit (true | "app"
/// | "buc"), regain_minutes (fractions allowed), error_code (any non-zero
/// code), error_subcode, is_transient (graph), hold, account, target ("api" |
/// "cdn"), count (default 1; a hold takes none).
std::string read_fault(const app& a, const nlohmann::json& body, fault& f, int& count);

/// The answer an injected API fault gives instead of the real one, in the
/// dialect's envelopes; nullopt when the fault only delays. `account_id` is
/// the account whose token the call used ("" when none).
std::optional<reply> api_fault_reply(dialect dia, const fault& f, const std::string& account_id);

/// The JSON description of a fault, for the control API's answers.
nlohmann::json fault_json(const fault& f, int pending);

} // namespace fakegram
