// The deauthorize / data-deletion form field "sig.payload".
//
// Each input is tried twice: as the field itself, which almost never carries
// a valid signature and so exercises the splitting, base64url and HMAC
// checks; and as the JSON payload of a field this target signs with the app
// secret, so the payload parsing behind the signature check is reached too.
// A field signed with another secret must be refused.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/webhook.hpp"

namespace {

/// The secret the seeds are signed with (fuzz/run.sh signs them the same way).
const std::string app_secret = "fuzz-app-secret";

std::string sign(std::string_view secret, std::string_view payload_json) {
  std::string payload = igbridge::base64url_encode(payload_json);
  return igbridge::base64url_encode(igbridge::hmac_sha256(secret, payload)) + "." + payload;
}

void check(const std::optional<igbridge::signed_request>& r) {
  if (r) {
    FUZZ_CHECK(!r->user_id.empty());
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // An empty secret must be skipped, never match.
  const std::vector<std::string> secrets{"", "previous-secret", app_secret};

  check(igbridge::decode_signed_request(input, secrets));

  std::string field = sign(app_secret, input);
  auto decoded = igbridge::decode_signed_request(field, secrets);
  check(decoded);
  FUZZ_CHECK(!igbridge::decode_signed_request(field, {"another-secret"}));
  FUZZ_CHECK(!igbridge::decode_signed_request(field, {""}));
  if (decoded) {
    // Which other secrets are configured must not change the answer.
    auto again = igbridge::decode_signed_request(field, {app_secret});
    FUZZ_CHECK(again && again->user_id == decoded->user_id &&
               again->issued_at == decoded->issued_at);
  }
  return 0;
}
