// What the provider answers, read by the pure dialect code: classify() on
// the whole response, then every answer parser of both dialects on the body
// (token exchange, long-lived token, /me, media pages).
//
// Input: an optional head in the shape of an HTTP response head, then the
// body, so status and headers (Retry-After, X-App-Usage) come from the input
// too:
//
//   HTTP/1.1 429\n
//   Retry-After: 30\n
//   \n
//   {"error":{...}}
//
// Without the head the whole input is the body, classified as it would be
// under 200, 429 and 503, so the provider samples work as seeds unchanged.
//
// Beyond "no crash": an error message is short and free of control
// characters and credential values, as provider.hpp promises ("safe to
// log"), and the classification respects the status.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "igbridge/provider.hpp"

namespace {

using igbridge::provider_failure;

/// Splits "HTTP/1.1 STATUS\nName: value\n...\n\nbody" into `r`; false when
/// the input does not start with a head.
bool read_head(std::string_view in, igbridge::http_response& r) {
  constexpr std::string_view prefix = "HTTP/1.1 ";
  if (in.substr(0, prefix.size()) != prefix) {
    return false;
  }
  in.remove_prefix(prefix.size());
  auto next_line = [&in]() {
    auto eol = in.find('\n');
    std::string_view line = in.substr(0, eol);
    in.remove_prefix(eol == std::string_view::npos ? in.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    return line;
  };
  std::string_view status_line = next_line();
  int status = 0;
  for (std::size_t i = 0; i < status_line.size() && i < 3; ++i) {
    char c = status_line[i];
    if (c < '0' || c > '9') {
      break;
    }
    status = status * 10 + (c - '0');
  }
  r.status = status;
  for (;;) {
    std::string_view line = next_line();
    if (line.empty()) {
      break;
    }
    auto colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    r.headers.emplace_back(std::string(name), std::string(value));
  }
  r.body = std::string(in);
  if (r.status == 0) {
    r.error = r.body; // a transport failure's text
  }
  return true;
}

/// provider.hpp: messages are "safe to log: never contains a token".
void check_message(const std::string& m) {
  FUZZ_CHECK(m.size() <= 300);
  for (char c : m) {
    FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20);
  }
  for (const char* name : {"access_token=", "client_secret=", "code="}) {
    std::string_view n(name);
    for (auto pos = m.find(n); pos != std::string::npos; pos = m.find(n, pos + 1)) {
      // Whatever follows is the blanked "…", possibly cut short.
      std::string_view rest = std::string_view(m).substr(pos + n.size(), 3);
      FUZZ_CHECK(std::string_view("…").substr(0, rest.size()) == rest);
    }
  }
}

void check_error(const igbridge::http_response& r, const igbridge::provider_error& e) {
  check_message(e.message);
  if (r.status == 0) {
    FUZZ_CHECK(e.kind == provider_failure::transport);
    return;
  }
  if (r.status < 200 || r.status >= 300) {
    FUZZ_CHECK(e); // no error-free answer outside 2xx
  }
  if (r.status == 429) {
    FUZZ_CHECK(e.kind == provider_failure::rate_limited ||
               e.kind == provider_failure::token_invalid);
  }
  if (r.status >= 500) {
    // An unknown error code on a 5xx is the server's fault: try again later.
    FUZZ_CHECK(e.kind != provider_failure::denied);
  }
  FUZZ_CHECK(e.retry_after_s >= 0 && e.retry_after_s <= 24 * 3600);
  if (e.kind != provider_failure::rate_limited) {
    FUZZ_CHECK(e.retry_after_s == 0);
  }
}

void check_grant(const std::optional<igbridge::token_grant>& g) {
  if (g) {
    FUZZ_CHECK(!g->access_token.empty());
  }
}

void check_page(const std::optional<igbridge::media_page>& page) {
  if (!page) {
    return;
  }
  for (const auto& item : page->items) {
    FUZZ_CHECK(!item.id.empty());
    for (const auto& tag : item.tags) {
      FUZZ_CHECK(!tag.empty() && tag[0] != '#');
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  igbridge::http_response r;
  if (read_head(input, r)) {
    check_error(r, igbridge::classify(r));
  } else {
    r.body = std::string(input);
    for (int status : {200, 429, 503}) {
      r.status = status;
      check_error(r, igbridge::classify(r));
    }
  }

  const std::string& body = r.body;
  using igbridge::dialect;
  auto graph_grant = igbridge::parse_code_exchange(dialect::graph, body);
  check_grant(graph_grant);
  if (graph_grant) {
    FUZZ_CHECK(!graph_grant->user_id.empty());
  }
  auto legacy_grant = igbridge::parse_code_exchange(dialect::legacy, body);
  check_grant(legacy_grant);
  if (legacy_grant) {
    FUZZ_CHECK(!legacy_grant->user_id.empty());
  }
  check_grant(igbridge::parse_long_lived(body));
  igbridge::token_grant grant;
  if (igbridge::parse_me(body, grant)) {
    FUZZ_CHECK(!grant.user_id.empty());
  }
  check_page(igbridge::parse_media_page(dialect::graph, body));
  check_page(igbridge::parse_media_page(dialect::legacy, body));
  return 0;
}
