#pragma once
/// @brief Crypto and encoding helpers: HMAC, hex/base64, constant-time
/// comparison, random tokens and AES-256-GCM sealing of secrets at rest.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct evp_mac_ctx_st; // OpenSSL's EVP_MAC_CTX
struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace igbridge {

/// Raw (binary) HMAC-SHA256 / HMAC-SHA1 of `msg` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view msg);
std::string hmac_sha1(std::string_view key, std::string_view msg);

/// HMAC under one key, keyed once instead of hashing the key into a fresh
/// context per call, as the one-shot functions above do (3.0 → 1.1 µs for
/// a webhook). Each thread works on its own copy of the keyed context,
/// made once (EVP_MAC_CTX_dup) and reset per call (0.74 → 0.39 µs, 11 → 2
/// allocations). Several threads may use one hmac_key at once: the keyed
/// context is only ever read and duplicated, never updated.
class hmac_key {
public:
  enum class digest { sha256, sha1 };

  /// Throws std::runtime_error when OpenSSL cannot key the context.
  hmac_key(digest d, std::string_view key);

  /// Size of a MAC in bytes (32 or 20).
  std::size_t size() const { return size_; }
  /// Raw (binary) MAC of `msg`.
  std::string sign(std::string_view msg) const;
  /// Whether `mac` is the raw MAC of `msg`; compared in constant time.
  bool verify(std::string_view msg, std::string_view mac) const;

private:
  struct ctx_free {
    void operator()(evp_mac_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_mac_ctx_st, ctx_free> keyed_;
  std::size_t size_ = 0;
  uint64_t id_ = 0; // names this key in each thread's working copies
};
std::string sha256(std::string_view data);

/// SHA-256 of data that arrives in pieces (a download as it streams in).
class sha256_stream {
public:
  sha256_stream(); // throws std::runtime_error when OpenSSL cannot start one
  void update(std::string_view piece);
  /// The raw digest; call once, after the last update.
  std::string finish();

private:
  struct ctx_free {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, ctx_free> ctx_;
};

std::string to_hex(std::string_view bytes);              // lowercase
std::optional<std::string> from_hex(std::string_view hex); // either case
std::string base64_encode(std::string_view bytes);        // standard, padded
std::optional<std::string> base64_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);     // no padding
std::optional<std::string> base64url_decode(std::string_view text); // padding optional

/// Compares in time that depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

/// `n` bytes from the OS CSPRNG (OpenSSL RAND_bytes); throws on failure.
std::string random_bytes(std::size_t n);
/// 128-bit random value as 32 hex characters.
std::string random_token();

/// AES-256-GCM with a fresh random 96-bit nonce. `key` must be 32 bytes.
/// Output: "v1." + base64url(nonce | ciphertext | tag).
std::string seal(std::string_view key, std::string_view plaintext);
/// Inverse of seal(); nullopt when the key is wrong or the data was altered.
std::optional<std::string> unseal(std::string_view key, std::string_view sealed);

} // namespace igbridge
