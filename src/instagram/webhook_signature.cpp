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
key_origin match(std::string_view hex, std::size_t size, const std::vector<hmac_key>& keys,
                 const webhook_keys& all, std::string_view body) {
  char given[32];
  if (size > sizeof given || !decode_hex(hex, size, given)) {
    return key_origin::none;
  }
  auto found = key_origin::none;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    bool ok = keys[i].verify(body, std::string_view(given, size));
    found = ok && found == key_origin::none ? all.origin(i) : found;
  }
  return found;
}

} // namespace

const char* to_string(key_origin k) {
  switch (k) {
    case key_origin::none:
      return "none";
    case key_origin::instagram:
      return "instagram";
    case key_origin::meta:
      return "meta";
    case key_origin::extra:
      return "extra";
  }
  return "none";
}

webhook_keys::webhook_keys(const std::vector<labelled_secret>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.value.empty()) {
      continue; // an unset secret must never verify anything
    }
    sha256_.emplace_back(hmac_key::digest::sha256, secret.value);
    sha1_.emplace_back(hmac_key::digest::sha1, secret.value);
    origins_.push_back(secret.origin);
  }
}

webhook_keys::webhook_keys(const std::vector<std::string>& secrets)
  : webhook_keys([&] {
      std::vector<labelled_secret> labelled;
      for (const auto& s : secrets) {
        labelled.push_back({s, key_origin::instagram});
      }
      return labelled;
    }()) {
  // nop
}

key_origin match_sha256_signature(std::string_view header, std::string_view body,
                                  const webhook_keys& keys) {
  header = trim_blanks(header);
  constexpr std::string_view prefix = "sha256=";
  if (!starts_with_nocase(header, prefix)) {
    return key_origin::none;
  }
  header.remove_prefix(prefix.size());
  return match(header, 32, keys.sha256(), keys, body);
}

key_origin match_sha1_signature(std::string_view header, std::string_view body,
                                const webhook_keys& keys) {
  header = trim_blanks(header);
  constexpr std::string_view prefix = "sha1=";
  if (starts_with_nocase(header, prefix)) {
    header.remove_prefix(prefix.size());
  }
  return match(header, 20, keys.sha1(), keys, body);
}

bool verify_sha256_signature(std::string_view header, std::string_view body,
                             const webhook_keys& keys) {
  return match_sha256_signature(header, body, keys) != key_origin::none;
}

bool verify_sha1_signature(std::string_view header, std::string_view body,
                           const webhook_keys& keys) {
  return match_sha1_signature(header, body, keys) != key_origin::none;
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
