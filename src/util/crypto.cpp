#include "igbridge/crypto.hpp"

#include <array>
#include <atomic>
#include <memory>
#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "igbridge/text.hpp"

namespace igbridge {

namespace {

constexpr std::size_t gcm_nonce_len = 12;
constexpr std::size_t gcm_tag_len = 16;
constexpr std::string_view seal_prefix = "v1.";

/// Ids of keyed contexts: never reused, unlike addresses, so a working copy
/// can never be taken for that of a key made later at the same address.
std::atomic<uint64_t> next_key_id{1};

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view msg) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // An empty key or message is valid, but OpenSSL wants non-null pointers.
  static const unsigned char empty = 0;
  const void* k = key.empty() ? static_cast<const void*>(&empty) : key.data();
  const unsigned char* m = msg.empty() ? &empty : bytes_of(msg);
  if (HMAC(md, k, static_cast<int>(key.size()), m, msg.size(), out, &len)
      == nullptr) {
    throw std::runtime_error("HMAC failed");
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

constexpr char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64_encode(std::string_view in, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8)
                 | uint32_t(uint8_t(in[i + 2]));
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  std::size_t rest = in.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) {
      out += "==";
    }
  } else if (rest == 2) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) {
      out += '=';
    }
  }
  return out;
}

/// Decodes either alphabet's text; `require_pad` demands a multiple of 4.
std::optional<std::string> b64_decode(std::string_view in, bool url, bool require_pad) {
  // Strip padding, but at most two characters and only at the end.
  std::size_t pads = 0;
  while (!in.empty() && in.back() == '=' && pads < 2) {
    in.remove_suffix(1);
    ++pads;
  }
  if (require_pad && (in.size() + pads) % 4 != 0) {
    return std::nullopt;
  }
  if (pads > 0 && (in.size() + pads) % 4 != 0) {
    return std::nullopt;
  }
  if (in.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == (url ? '-' : '+')) {
      v = 62;
    } else if (c == (url ? '_' : '/')) {
      v = 63;
    } else {
      return std::nullopt;
    }
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero, or two texts would decode to the same bytes.
  if ((acc & ((1u << bits) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

struct cipher_ctx_free {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free>;

} // namespace

std::string hmac_sha256(std::string_view key, std::string_view msg) {
  return hmac(EVP_sha256(), key, msg);
}

std::string hmac_sha1(std::string_view key, std::string_view msg) {
  return hmac(EVP_sha1(), key, msg);
}

// -- hmac_key ----------------------------------------------------------------------

void hmac_key::ctx_free::operator()(evp_mac_ctx_st* ctx) const {
  EVP_MAC_CTX_free(ctx);
}

hmac_key::hmac_key(digest d, std::string_view key) {
  struct mac_free {
    void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
  };
  std::unique_ptr<EVP_MAC, mac_free> mac{EVP_MAC_fetch(nullptr, "HMAC", nullptr)};
  if (!mac) {
    throw std::runtime_error("HMAC unavailable");
  }
  keyed_.reset(EVP_MAC_CTX_new(mac.get())); // holds its own reference to `mac`
  char sha256_name[] = "SHA256";
  char sha1_name[] = "SHA1";
  char* name = d == digest::sha1 ? sha1_name : sha256_name;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0),
                         OSSL_PARAM_construct_end()};
  // An empty key is valid, but OpenSSL wants a non-null pointer for one.
  static const unsigned char empty = 0;
  const unsigned char* k = key.empty() ? &empty : bytes_of(key);
  if (!keyed_ || EVP_MAC_init(keyed_.get(), k, key.size(), params) != 1) {
    throw std::runtime_error("HMAC keying failed");
  }
  size_ = EVP_MAC_CTX_get_mac_size(keyed_.get());
  id_ = next_key_id.fetch_add(1, std::memory_order_relaxed);
}

namespace {

/// This thread's working copies of the keys it used last. A copy is made
/// once per thread and key (EVP_MAC_CTX_dup: ~9 allocations) and then only
/// re-initialised, which resets it to the keyed state and allocates ~2.
class working_copies {
public:
  evp_mac_ctx_st* of(uint64_t id, evp_mac_ctx_st* keyed) {
    for (auto& c : slots_) {
      if (c.id == id) {
        if (EVP_MAC_init(c.ctx.get(), nullptr, 0, nullptr) != 1) {
          throw std::runtime_error("HMAC failed");
        }
        return c.ctx.get();
      }
    }
    // Keys of one-off checks pass through; the few long-lived ones stay.
    auto& c = slots_[next_++ % slots_.size()];
    c.id = 0; // until the copy exists
    c.ctx.reset(EVP_MAC_CTX_dup(keyed));
    if (!c.ctx) {
      throw std::runtime_error("HMAC failed");
    }
    c.id = id;
    return c.ctx.get();
  }

private:
  struct slot {
    uint64_t id = 0;
    std::unique_ptr<EVP_MAC_CTX, void (*)(EVP_MAC_CTX*)> ctx{nullptr, &EVP_MAC_CTX_free};
  };
  std::array<slot, 8> slots_;
  std::size_t next_ = 0;
};

/// The MAC of `msg` under key `id` (keyed as `keyed`) into `out`
/// (EVP_MAX_MD_SIZE).
std::size_t mac_into(uint64_t id, evp_mac_ctx_st* keyed, std::string_view msg,
                     unsigned char* out) {
  thread_local working_copies copies;
  auto* ctx = copies.of(id, keyed);
  std::size_t len = 0;
  static const unsigned char empty = 0;
  const unsigned char* m = msg.empty() ? &empty : bytes_of(msg);
  if (EVP_MAC_update(ctx, m, msg.size()) != 1
      || EVP_MAC_final(ctx, out, &len, EVP_MAX_MD_SIZE) != 1) {
    throw std::runtime_error("HMAC failed");
  }
  return len;
}

} // namespace

std::string hmac_key::sign(std::string_view msg) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = mac_into(id_, keyed_.get(), msg, out);
  return std::string(reinterpret_cast<char*>(out), len);
}

bool hmac_key::verify(std::string_view msg, std::string_view mac) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = mac_into(id_, keyed_.get(), msg, out);
  return mac.size() == len && CRYPTO_memcmp(out, mac.data(), len) == 0;
}

// -- digests and encodings ----------------------------------------------------------

std::string sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

void sha256_stream::ctx_free::operator()(evp_md_ctx_st* ctx) const {
  EVP_MD_CTX_free(ctx);
}

sha256_stream::sha256_stream() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 unavailable");
  }
}

void sha256_stream::update(std::string_view piece) {
  EVP_DigestUpdate(ctx_.get(), piece.data(), piece.size());
}

std::string sha256_stream::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), out, &len) != 1) {
    return {};
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    out += digits[(uint8_t(c) >> 4) & 0xf];
    out += digits[uint8_t(c) & 0xf];
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = hex_digit_value(hex[i]);
    int lo = hex_digit_value(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out += char((hi << 4) | lo);
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  return b64_encode(bytes, b64_std, true);
}

std::optional<std::string> base64_decode(std::string_view text) {
  return b64_decode(text, false, true);
}

std::string base64url_encode(std::string_view bytes) {
  return b64_encode(bytes, b64_url, false);
}

std::optional<std::string> base64url_decode(std::string_view text) {
  return b64_decode(text, true, false);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  if (a.empty()) {
    return true;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

std::string random_token() {
  return to_hex(random_bytes(16));
}

std::string seal(std::string_view key, std::string_view plaintext) {
  if (key.size() != 32) {
    throw std::invalid_argument("seal: key must be 32 bytes");
  }
  std::string nonce = random_bytes(gcm_nonce_len);
  cipher_ctx_ptr ctx{EVP_CIPHER_CTX_new()};
  std::string ct(plaintext.size(), '\0');
  unsigned char tag[gcm_tag_len];
  int len = 0;
  int total = 0;
  if (!ctx
      || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes_of(key), bytes_of(nonce))
           != 1
      || EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(ct.data()), &len,
                           bytes_of(plaintext), static_cast<int>(plaintext.size()))
           != 1) {
    throw std::runtime_error("AES-256-GCM encryption failed");
  }
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(ct.data()) + total, &len)
        != 1
      || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, gcm_tag_len, tag) != 1) {
    throw std::runtime_error("AES-256-GCM encryption failed");
  }
  total += len;
  ct.resize(total);
  std::string blob = nonce + ct + std::string(reinterpret_cast<char*>(tag), gcm_tag_len);
  return std::string(seal_prefix) + base64url_encode(blob);
}

std::optional<std::string> unseal(std::string_view key, std::string_view sealed) {
  if (key.size() != 32 || sealed.substr(0, seal_prefix.size()) != seal_prefix) {
    return std::nullopt;
  }
  auto blob = base64url_decode(sealed.substr(seal_prefix.size()));
  if (!blob || blob->size() < gcm_nonce_len + gcm_tag_len) {
    return std::nullopt;
  }
  std::string_view b = *blob;
  auto nonce = b.substr(0, gcm_nonce_len);
  auto ct = b.substr(gcm_nonce_len, b.size() - gcm_nonce_len - gcm_tag_len);
  std::string tag(b.substr(b.size() - gcm_tag_len));
  cipher_ctx_ptr ctx{EVP_CIPHER_CTX_new()};
  std::string pt(ct.size(), '\0');
  int len = 0;
  int total = 0;
  if (!ctx
      || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes_of(key), bytes_of(nonce))
           != 1
      || EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(pt.data()), &len,
                           bytes_of(ct), static_cast<int>(ct.size()))
           != 1) {
    return std::nullopt;
  }
  total = len;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, gcm_tag_len, tag.data()) != 1) {
    return std::nullopt;
  }
  // Final checks the tag: a wrong key or altered byte fails here.
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(pt.data()) + total, &len)
      != 1) {
    return std::nullopt;
  }
  total += len;
  pt.resize(total);
  return pt;
}

} // namespace igbridge
