#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fakegram {

/// `bytes` random bytes from OpenSSL, hex-encoded (tokens, codes, challenges).
std::string random_hex(std::size_t bytes);

/// Lower-case hex HMAC-SHA256(key, data): graph `X-Hub-Signature-256`.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// Lower-case hex HMAC-SHA1(key, data): legacy `X-Hub-Signature`.
std::string hmac_sha1_hex(std::string_view key, std::string_view data);

/// The 32 raw bytes of HMAC-SHA256(key, data): signed_request signatures.
std::string hmac_sha256_raw(std::string_view key, std::string_view data);

/// Lower-case hex SHA-256 of `data`: what tests compare downloaded files by.
std::string sha256_hex(std::string_view data);

} // namespace fakegram
