/// OpenSSL-backed randomness, HMACs and digests.

#include "crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace fakegram {

namespace {

std::string to_hex(const unsigned char* data, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

std::string hmac_raw(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // HMAC() wants a non-null key pointer even for an empty key.
  static const unsigned char empty = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&empty) : key.data();
  if (HMAC(md, key_ptr, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len)
      == nullptr) {
    throw std::runtime_error("HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hex_of(const std::string& raw) {
  return to_hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

} // namespace

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return to_hex(buf.data(), buf.size());
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  return hex_of(hmac_raw(EVP_sha256(), key, data));
}

std::string hmac_sha1_hex(std::string_view key, std::string_view data) {
  return hex_of(hmac_raw(EVP_sha1(), key, data));
}

std::string hmac_sha256_raw(std::string_view key, std::string_view data) {
  return hmac_raw(EVP_sha256(), key, data);
}

std::string sha256_hex(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return to_hex(out, len);
}

} // namespace fakegram
