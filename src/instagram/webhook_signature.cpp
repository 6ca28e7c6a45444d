#include <strings.h>

#include "igbridge/crypto.hpp"
#include "igbridge/webhook.hpp"

#include "igbridge/text.hpp"

namespace igbridge {

namespace {

using hmac_fn = std::string (*)(std::string_view, std::string_view);

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

/// Compares decoded bytes, so "ABCD" and "abcd" are the same signature, and
/// in constant time, so a forger learns nothing from how long a reject takes.
/// Every secret is tried: which one matched is not observable either.
bool verify(std::string_view hex, std::size_t size, hmac_fn mac, std::string_view body,
            const std::vector<std::string>& secrets) {
  auto given = from_hex(hex);
  if (!given || given->size() != size) {
    return false;
  }
  bool match = false;
  for (const auto& secret : secrets) {
    if (secret.empty()) {
      continue; // an unset secret must never verify anything
    }
    match = constant_time_equal(mac(secret, body), *given) || match;
  }
  return match;
}

} // namespace

bool verify_sha256_signature(std::string_view header, std::string_view body,
                             const std::vector<std::string>& secrets) {
  header = trim_blanks(header);
  constexpr std::string_view prefix = "sha256=";
  if (!starts_with_nocase(header, prefix)) {
    return false;
  }
  header.remove_prefix(prefix.size());
  return verify(header, 32, &hmac_sha256, body, secrets);
}

bool verify_sha1_signature(std::string_view header, std::string_view body,
                           const std::vector<std::string>& secrets) {
  header = trim_blanks(header);
  constexpr std::string_view prefix = "sha1=";
  if (starts_with_nocase(header, prefix)) {
    header.remove_prefix(prefix.size());
  }
  return verify(header, 20, &hmac_sha1, body, secrets);
}

} // namespace igbridge
