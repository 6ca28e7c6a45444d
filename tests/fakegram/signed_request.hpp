#pragma once

#include <cstdint>
#include <string>

namespace fakegram {

/// Meta's `signed_request` for the deauthorize and data-deletion callbacks:
/// `base64url(sig).base64url(payload)`, payload
/// `{"algorithm":"HMAC-SHA256","issued_at":T,"user_id":"<id>"}`, sig =
/// HMAC-SHA256(app secret, payload segment as sent); base64url without padding.
std::string make_signed_request(const std::string& app_secret, const std::string& user_id,
                                std::int64_t issued_at);

} // namespace fakegram
