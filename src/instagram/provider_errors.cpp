#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "igbridge/provider.hpp"
#include "igbridge/urls.hpp"

namespace igbridge {

namespace {

using json = nlohmann::json;

/// App usage above this share of any quota counts as rate limited: backing
/// off early keeps the whole app from being throttled for an hour.
constexpr int64_t usage_limit_percent = 75;
constexpr std::size_t max_message = 300;
constexpr int64_t max_retry_after_s = 24 * 3600;

/// Provider messages go to logs and user records: cut them short and blank
/// out anything that looks like a credential in case a provider echoes one.
std::string safe_message(std::string text) {
  for (const char* name : {"access_token=", "client_secret=", "code="}) {
    std::string_view n(name);
    std::size_t pos = 0;
    while ((pos = text.find(n, pos)) != std::string::npos) {
      std::size_t start = pos + n.size();
      std::size_t end = text.find_first_of("&\" ", start);
      if (end == std::string::npos) {
        end = text.size();
      }
      text.replace(start, end - start, "…");
      pos = start;
    }
  }
  if (text.size() > max_message) {
    text.resize(max_message);
  }
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) {
      c = ' ';
    }
  }
  return text;
}

int64_t retry_after(const http_response& r) {
  std::string v = header_value(r.headers, "Retry-After");
  if (v.empty() || v.size() > 10 || !std::all_of(v.begin(), v.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
      })) {
    return 0; // HTTP-dates are not worth the parsing: callers have a backoff
  }
  return std::min<int64_t>(std::stoll(v), max_retry_after_s);
}

/// How long to hold off when usage is high but no estimate is given.
constexpr int64_t default_hold_s = 60;

bool usage_high(const json& usage) {
  for (const char* key : {"call_count", "total_time", "total_cputime"}) {
    auto it = usage.find(key);
    if (it != usage.end() && it->is_number() && it->get<double>() >= usage_limit_percent) {
      return true;
    }
  }
  return false;
}

/// X-App-Usage: {"call_count":N,"total_time":N,"total_cputime":N}, percents.
int64_t app_wait(const http_response& r) {
  std::string v = header_value(r.headers, "X-App-Usage");
  if (v.empty() || v.size() > 4096) {
    return 0;
  }
  json usage = json::parse(v, nullptr, false);
  return usage.is_object() && usage_high(usage) ? default_hold_s : 0;
}

/// X-Business-Use-Case-Usage: {"<id>":[{"type","call_count","total_cputime",
/// "total_time","estimated_time_to_regain_access":MINUTES}]}; the longest
/// wait any entry asks for.
int64_t account_wait(const http_response& r) {
  std::string v = header_value(r.headers, "X-Business-Use-Case-Usage");
  if (v.empty() || v.size() > 16384) {
    return 0;
  }
  json usage = json::parse(v, nullptr, false);
  if (!usage.is_object()) {
    return 0;
  }
  int64_t wait = 0;
  for (const auto& [id, entries] : usage.items()) {
    if (!entries.is_array()) {
      continue;
    }
    for (const auto& e : entries) {
      if (!e.is_object()) {
        continue;
      }
      auto it = e.find("estimated_time_to_regain_access");
      if (it != e.end() && it->is_number() && it->get<double>() > 0) {
        auto minutes = std::min(it->get<double>(), static_cast<double>(max_retry_after_s / 60));
        wait = std::max(wait, static_cast<int64_t>(minutes * 60));
      } else if (usage_high(e)) {
        wait = std::max(wait, default_hold_s);
      }
    }
  }
  return std::min(wait, max_retry_after_s);
}

bool bool_field(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

/// Graph codes Meta documents as temporary: retry the same call later.
bool transient_code(int code) {
  return code == 1 || code == 2 || code == 341 || code == 368 || code == -1 || code == -2;
}

int int_field(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it != obj.end() && it->is_number_integer()) {
    return it->get<int>();
  }
  return 0;
}

std::string string_field(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it != obj.end() && it->is_string()) {
    return it->get<std::string>();
  }
  return {};
}

provider_error make(provider_failure kind, std::string message, int code = 0) {
  provider_error e;
  e.kind = kind;
  e.message = safe_message(std::move(message));
  e.code = code;
  return e;
}

/// graph {"error":{...}} → a classified error, or none when not that shape.
provider_error graph_envelope(const json& body) {
  auto it = body.find("error");
  if (it == body.end() || !it->is_object()) {
    return {};
  }
  int code = int_field(*it, "code");
  std::string text = "graph error " + std::to_string(code);
  if (auto type = string_field(*it, "type"); !type.empty()) {
    text += " (" + type + ")";
  }
  if (auto msg = string_field(*it, "message"); !msg.empty()) {
    text += ": " + msg;
  }
  switch (code) {
    case 190:
      return make(provider_failure::token_invalid, text, code);
    case 4:
      return make(provider_failure::rate_limited, text, code);
    case 17:
    case 32:
    case 613:
    case 80002: {
      // Business Use Case limits: this account's quota, not the app's.
      auto e = make(provider_failure::rate_limited, text, code);
      e.scope = rate_scope::account;
      return e;
    }
    case 10:
      return make(provider_failure::permission, text, code);
    default:
      if (code >= 200 && code <= 299) {
        return make(provider_failure::permission, text, code);
      }
      if (transient_code(code) || bool_field(*it, "is_transient")) {
        return make(provider_failure::transient, text, code);
      }
      return make(provider_failure::denied, text, code);
  }
}

/// legacy {"meta":{"error_type","code","error_message"}}, or the same fields
/// flat (the OAuth endpoints answer that way).
provider_error legacy_envelope(const json& body) {
  const json* meta = &body;
  if (auto it = body.find("meta"); it != body.end() && it->is_object()) {
    meta = &*it;
  }
  std::string type = string_field(*meta, "error_type");
  int code = int_field(*meta, "code");
  if (type.empty() && (code == 0 || code == 200)) {
    return {};
  }
  std::string text = "legacy error " + std::to_string(code);
  if (!type.empty()) {
    text += " (" + type + ")";
  }
  if (auto msg = string_field(*meta, "error_message"); !msg.empty()) {
    text += ": " + msg;
  }
  if (type == "OAuthAccessTokenException") {
    return make(provider_failure::token_invalid, text, code);
  }
  if (type == "OAuthRateLimitException" || code == 429) {
    return make(provider_failure::rate_limited, text, code);
  }
  if (code >= 500) {
    return make(provider_failure::server, text, code);
  }
  return make(provider_failure::denied, text, code);
}

} // namespace

const char* to_string(provider_failure f) {
  switch (f) {
    case provider_failure::none:
      return "none";
    case provider_failure::token_invalid:
      return "token_invalid";
    case provider_failure::permission:
      return "permission";
    case provider_failure::rate_limited:
      return "rate_limited";
    case provider_failure::transient:
      return "transient";
    case provider_failure::server:
      return "server";
    case provider_failure::transport:
      return "transport";
    case provider_failure::malformed:
      return "malformed";
    case provider_failure::denied:
      return "denied";
  }
  return "unknown";
}

bool retryable(provider_failure f) {
  return f == provider_failure::transient || f == provider_failure::server
         || f == provider_failure::transport;
}

provider_error classify(const http_response& r) {
  if (r.status == 0) {
    return make(provider_failure::transport,
                "transport: " + (r.error.empty() ? std::string("no answer") : r.error));
  }
  const bool ok = r.status >= 200 && r.status < 300;
  json body = json::parse(r.body, nullptr, false);
  provider_error e;
  if (body.is_object()) {
    e = graph_envelope(body);
    if (!e) {
      e = legacy_envelope(body);
    }
  }
  if (r.status == 429 && e.kind != provider_failure::token_invalid) {
    e = make(provider_failure::rate_limited, e ? e.message : "HTTP 429", e.code);
  }
  if (!e && r.status >= 500) {
    e = make(provider_failure::server, "HTTP " + std::to_string(r.status));
  } else if (!e && !ok) {
    e = make(provider_failure::denied, "HTTP " + std::to_string(r.status));
  } else if (e && e.kind == provider_failure::denied && r.status >= 500) {
    e.kind = provider_failure::server; // unknown code on a 5xx: try again later
  }
  if (!e && body.is_discarded()) {
    e = make(provider_failure::malformed, "HTTP " + std::to_string(r.status) + " answer is not JSON");
  }
  if (e.kind == provider_failure::rate_limited) {
    auto usage = read_usage(r);
    if (usage.account_wait_s > 0 && e.scope == rate_scope::app && e.code != 4) {
      e.scope = rate_scope::account; // only the account's header speaks: its quota
    }
    e.retry_after_s = std::max({retry_after(r), e.scope == rate_scope::account
                                                  ? usage.account_wait_s
                                                  : usage.app_wait_s});
  }
  return e;
}

usage_advice read_usage(const http_response& r) {
  return usage_advice{app_wait(r), account_wait(r)};
}

bool same_origin(const std::string& url, const std::string& base) {
  auto a = parse_url(url);
  auto b = parse_url(base);
  return a && b && a->scheme == b->scheme && a->port == b->port
         && std::equal(a->host.begin(), a->host.end(), b->host.begin(), b->host.end(),
                       [](char x, char y) {
                         return std::tolower(static_cast<unsigned char>(x))
                                == std::tolower(static_cast<unsigned char>(y));
                       });
}

} // namespace igbridge
