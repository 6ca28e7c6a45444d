#include <strings.h>

#include "igbridge/crypto.hpp"
#include "igbridge/webhook.hpp"

#include "igbridge/text.hpp"

namespace igbridge {

namespace {

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

/// Decodes `hex` (either case) of exactly `size` bytes into `out`, on the
/// stack: the check allocates nothing but OpenSSL's copy of a keyed context.
bool decode_hex(std::string_view hex, std::size_t size, char* out) {
  if (hex.size() != 2 * size) {
    return false;
  }
  for (std::size_t i = 0; i < size; ++i) {
    int hi = hex_digit_value(hex[2 * i]);
    int lo = hex_digit_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return false;
    }
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return true;
}

/// Compares decoded bytes, so "ABCD" and "abcd" are the same signature, and
/// in constant time, so a forger learns nothing from how long a reject takes.
/// Every key is tried: which one matched is not observable either.
bool verify(std::string_view hex, std::size_t size, const std::vector<hmac_key>& keys,
            std::string_view body) {
  char given[32];
  if (size > sizeof given || !decode_hex(hex, size, given)) {
    return false;
  }
  bool match = false;
  for (const auto& key : keys) {
    match = key.verify(body, std::string_view(given, size)) || match;
  }
  return match;
}

} // namespace

webhook_keys::webhook_keys(const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) {
      continue; // an unset secret must never verify anything
    }
    sha256_.emplace_back(hmac_key::digest::sha256, secret);
    sha1_.emplace_back(hmac_key::digest::sha1, secret);
  }
}

bool verify_sha256_signature(std::string_view header, std::string_view body,
                             const webhook_keys& keys) {
  header = trim_blanks(header);
  constexpr std::string_view prefix = "sha256=";
  if (!starts_with_nocase(header, prefix)) {
    return false;
  }
  header.remove_prefix(prefix.size());
  return verify(header, 32, keys.sha256(), body);
}

bool verify_sha1_signature(std::string_view header, std::string_view body,
                           const webhook_keys& keys) {
  header = trim_blanks(header);
  constexpr std::string_view prefix = "sha1=";
  if (starts_with_nocase(header, prefix)) {
    header.remove_prefix(prefix.size());
  }
  return verify(header, 20, keys.sha1(), body);
}

bool verify_sha256_signature(std::string_view header, std::string_view body,
                             const std::vector<std::string>& secrets) {
  return verify_sha256_signature(header, body, webhook_keys(secrets));
}

bool verify_sha1_signature(std::string_view header, std::string_view body,
                           const std::vector<std::string>& secrets) {
  return verify_sha1_signature(header, body, webhook_keys(secrets));
}

} // namespace igbridge
