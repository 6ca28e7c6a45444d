#pragma once
/// @brief Signed connect links: the host app hands a user a URL that proves
/// which app user is linking and until when the URL is valid.

#include <cstdint>
#include <string>
#include <string_view>

namespace igbridge {

/// hex HMAC-SHA256(secret, user + "." + exp).
std::string link_signature(std::string_view secret, std::string_view user, int64_t exp);

/// public_url + "/oauth/instagram/start?user=U&exp=T&sig=S" (U percent-encoded).
std::string make_link_url(std::string_view public_url, std::string_view secret,
                          std::string_view user, int64_t exp);

enum class link_check { ok, bad_signature, expired, malformed };

/// Checks the three query values of a start request; `exp` as sent (decimal).
link_check verify_link(std::string_view secret, std::string_view user,
                       std::string_view exp, std::string_view sig, int64_t now);

} // namespace igbridge
