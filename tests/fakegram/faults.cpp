/// Injected misbehaviour (POST /_fake/faults): validation of the control
/// body and the answers each fault gives. Graph faults look like Meta's:
/// app-level throttling is HTTP 403 code 4 with X-App-Usage, a Business Use
/// Case limit is HTTP 400 code 80002 with X-Business-Use-Case-Usage, and
/// graph never sends Retry-After. Legacy keeps its 429. Any graph code can
/// be injected on any status, with is_transient set either way; a hold keeps
/// a fault striking for regain_minutes (fractions allowed) from its first call.

#include "faults.hpp"

#include "errors.hpp"
#include "usage_headers.hpp"

#include <climits>
#include <set>

namespace fakegram {

namespace {

using json = nlohmann::json;

constexpr int throttled_percent = 100;

const std::set<std::string> known_keys = {"status",        "delay_ms",     "malformed",
                                          "rate_limit",    "regain_minutes", "error_code",
                                          "error_subcode", "is_transient", "hold",
                                          "account",       "target",       "count"};

/// Reads an optional integer within [lo, hi]; false when present but invalid.
bool int_field(const json& body, const char* key, long long lo, long long hi, long long& out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    return true;
  }
  // Unsigned values above int64 would wrap: refuse them before converting.
  if (!it->is_number_integer()
      || (it->is_number_unsigned() && it->get<std::uint64_t>() > (1ULL << 40))) {
    return false;
  }
  auto v = it->get<long long>();
  if (v < lo || v > hi) {
    return false;
  }
  out = v;
  return true;
}

/// Reads an optional number (fractions allowed) within [lo, hi].
bool number_field(const json& body, const char* key, double lo, double hi, double& out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    return true;
  }
  if (!it->is_number() || it->get<double>() < lo || it->get<double>() > hi) {
    return false;
  }
  out = it->get<double>();
  return true;
}

/// Reads an optional boolean; false when present but not a boolean.
bool bool_field(const json& body, const char* key, std::optional<bool>& out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    return true;
  }
  if (!it->is_boolean()) {
    return false;
  }
  out = it->get<bool>();
  return true;
}

bool has(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && !it->is_null();
}

reply graph_status_fault(unsigned status, std::optional<bool> is_transient) {
  if (status >= 500) {
    return graph_error(status, 2, graph_message_for(2), std::nullopt, "OAuthException",
                       is_transient.value_or(true));
  }
  return graph_error(status, 1, "fakegram injected HTTP " + std::to_string(status), std::nullopt,
                     "OAuthException", is_transient);
}

reply legacy_status_fault(unsigned status) {
  return legacy_error(status, status >= 500 ? "APIError" : "APIRequestError",
                      "fakegram injected HTTP " + std::to_string(status));
}

std::string legacy_type_for(int code) {
  if (code == 190) {
    return "OAuthAccessTokenException";
  }
  if (code == 10 || (code >= 200 && code <= 299)) {
    return "OAuthPermissionsException";
  }
  if (code == 4 || code == 17 || code == 32 || code == 613) {
    return "OAuthRateLimitException";
  }
  return "APIError";
}

reply malformed_reply() {
  reply r;
  r.status = 200;
  r.content_type = "application/json; charset=UTF-8";
  r.body = "{\"data\":[{\"id\":\"1789";
  return r;
}

} // namespace

std::string read_fault(const app& a, const json& body, fault& f, int& count) {
  for (const auto& [key, value] : body.items()) {
    if (known_keys.count(key) == 0) {
      return "unknown key '" + key + "'";
    }
  }
  long long status = 0;
  long long delay_ms = 0;
  long long n = 1;
  double regain = 1;
  long long code = 0;
  long long subcode = 0;
  std::optional<bool> hold;
  if (!int_field(body, "status", 100, 599, status)) {
    return "status must be an HTTP status (100-599)";
  }
  if (!int_field(body, "delay_ms", 0, 600000, delay_ms)) {
    return "delay_ms must be an integer 0-600000";
  }
  if (!int_field(body, "count", 0, 1000000, n)) {
    return "count must be an integer 0-1000000";
  }
  if (!number_field(body, "regain_minutes", 0, 1440, regain)) {
    return "regain_minutes must be a number of minutes 0-1440 (fractions allowed: 0.05 = 3 s)";
  }
  // Any graph code, negative ones (-1, -2: transient service errors) too.
  if (!int_field(body, "error_code", INT_MIN, INT_MAX, code) || (has(body, "error_code") && code == 0)) {
    return "error_code must be a non-zero integer";
  }
  if (!int_field(body, "error_subcode", 1, 2147483647, subcode)) {
    return "error_subcode must be a positive integer";
  }
  if (has(body, "error_subcode") && !has(body, "error_code")) {
    return "error_subcode needs error_code";
  }
  if (!bool_field(body, "is_transient", f.is_transient)) {
    return "is_transient must be a boolean";
  }
  if (f.is_transient && !a.graph()) {
    return "is_transient is a graph error field; legacy errors have none";
  }
  if (!bool_field(body, "hold", hold)) {
    return "hold must be a boolean";
  }
  f.hold = hold.value_or(false);
  if (f.hold && (!has(body, "regain_minutes") || regain <= 0)) {
    return "hold needs regain_minutes > 0: how long it holds";
  }
  if (f.hold && has(body, "count") && n != 1) {
    return "hold takes no count: one hold strikes every call it applies to until it ends";
  }
  if (has(body, "malformed")) {
    if (!body["malformed"].is_boolean()) {
      return "malformed must be a boolean";
    }
    f.malformed = body["malformed"].get<bool>();
  }
  if (has(body, "target")) {
    const auto& t = body["target"];
    if (t == "api") {
      f.target = fault_target::api;
    } else if (t == "cdn") {
      f.target = fault_target::cdn;
    } else {
      return "target must be \"api\" or \"cdn\"";
    }
  }
  if (has(body, "rate_limit")) {
    const auto& r = body["rate_limit"];
    if (r.is_boolean()) {
      if (r.get<bool>()) {
        f.rate_limit = a.graph() ? rate_limit_kind::app : rate_limit_kind::legacy;
      }
    } else if (r == "app" || r == "buc") {
      if (!a.graph()) {
        return "rate_limit \"app\" and \"buc\" are graph limits; legacy takes true";
      }
      f.rate_limit = r == "app" ? rate_limit_kind::app : rate_limit_kind::buc;
    } else {
      return "rate_limit must be true, false, \"app\" or \"buc\"";
    }
  }
  if (has(body, "account")) {
    if (!body["account"].is_string()) {
      return "account must be an account id string";
    }
    auto who = a.st.find_account_by_any_id(body["account"].get<std::string>());
    if (!who) {
      return "unknown account " + body["account"].get<std::string>();
    }
    f.account_id = who->id;
  }
  if (f.rate_limit != rate_limit_kind::none && code != 0) {
    return "rate_limit and error_code exclude each other";
  }
  if (f.target == fault_target::cdn
      && (f.rate_limit != rate_limit_kind::none || code != 0 || f.is_transient)) {
    return "a cdn fault takes status, delay_ms, malformed, hold, regain_minutes and account only";
  }
  f.status = static_cast<unsigned>(status);
  f.delay_ms = static_cast<int>(delay_ms);
  f.regain_minutes = regain;
  f.error_code = static_cast<int>(code);
  if (subcode != 0) {
    f.error_subcode = static_cast<int>(subcode);
  }
  count = static_cast<int>(n);
  return {};
}

std::optional<reply> api_fault_reply(dialect dia, const fault& f, const std::string& account_id) {
  if (dia == dialect::legacy) {
    if (f.rate_limit != rate_limit_kind::none) {
      auto r = legacy_error(429, "OAuthRateLimitException",
                            "The maximum number of requests per hour has been exceeded.");
      r.headers.emplace_back("Retry-After", "30");
      return r;
    }
    if (f.error_code != 0) {
      return legacy_error(f.status != 0 ? f.status : 400, legacy_type_for(f.error_code),
                          "(#" + std::to_string(f.error_code) + ") "
                            + graph_message_for(f.error_code));
    }
    if (f.status != 0) {
      return legacy_status_fault(f.status);
    }
    if (f.malformed) {
      return malformed_reply();
    }
    return std::nullopt;
  }
  switch (f.rate_limit) {
    case rate_limit_kind::app:
    case rate_limit_kind::legacy: {
      auto r = graph_error(403, 4, graph_message_for(4), std::nullopt, "OAuthException",
                           f.is_transient.value_or(true));
      r.headers.emplace_back("X-App-Usage", app_usage(throttled_percent));
      return r;
    }
    case rate_limit_kind::buc: {
      auto r = graph_error(400, 80002, graph_message_for(80002), std::nullopt, "OAuthException",
                           f.is_transient.value_or(true));
      r.headers.emplace_back("X-Business-Use-Case-Usage",
                             buc_usage(account_id, throttled_percent, f.regain_minutes));
      return r;
    }
    case rate_limit_kind::none:
      break;
  }
  if (f.error_code != 0) {
    // is_transient as given, else as graph marks the code (absent when not transient).
    auto transient = f.is_transient;
    if (!transient && graph_transient(f.error_code)) {
      transient = true;
    }
    auto r = graph_error(f.status != 0 ? f.status : 400, f.error_code,
                         graph_message_for(f.error_code), f.error_subcode, "OAuthException",
                         transient);
    if (f.error_code == 4) {
      r.headers.emplace_back("X-App-Usage", app_usage(throttled_percent));
    } else if (!account_id.empty() && (f.error_code == 80002 || f.error_code == 32 || f.error_code == 613)) {
      r.headers.emplace_back("X-Business-Use-Case-Usage",
                             buc_usage(account_id, throttled_percent, f.regain_minutes));
    }
    return r;
  }
  if (f.status != 0) {
    return graph_status_fault(f.status, f.is_transient);
  }
  if (f.malformed) {
    return malformed_reply();
  }
  return std::nullopt;
}

json fault_json(const fault& f, int pending) {
  json out = {{"pending", pending},
              {"target", f.target == fault_target::api ? "api" : "cdn"}};
  if (!f.account_id.empty()) {
    out["account"] = f.account_id;
  }
  if (f.hold) {
    out["hold_minutes"] = f.regain_minutes;
  }
  return out;
}

} // namespace fakegram
