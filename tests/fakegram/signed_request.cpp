/// Builds signed_requests exactly as tests/samples/signed_request.txt spells
/// them out; igbridge verifies them with its own code.

#include "signed_request.hpp"

#include "codec.hpp"
#include "crypto.hpp"

#include <nlohmann/json.hpp>

namespace fakegram {

std::string make_signed_request(const std::string& app_secret, const std::string& user_id,
                                std::int64_t issued_at) {
  nlohmann::ordered_json payload = {
    {"algorithm", "HMAC-SHA256"}, {"issued_at", issued_at}, {"user_id", user_id}};
  auto segment = base64url_encode(payload.dump());
  return base64url_encode(hmac_sha256_raw(app_secret, segment)) + "." + segment;
}

} // namespace fakegram
