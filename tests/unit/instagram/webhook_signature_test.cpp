// webhook_keys: the secrets keyed once answer every signature check as the
// secrets themselves do, and an empty secret verifies nothing.

#include "igbridge/webhook.hpp"

#include <catch2/catch.hpp>

#include "igbridge/crypto.hpp"

using namespace igbridge;

TEST_CASE("webhook_keys verify as their secrets do", "[webhook]") {
  std::string body = R"({"object":"instagram","entry":[{"id":"1"}]})";
  const std::vector<std::string> secrets{"new", "", "old"};
  webhook_keys keys(secrets);
  CHECK(keys.sha256().size() == 2);
  CHECK(keys.sha1().size() == 2);
  for (const std::string secret : {"new", "old", "other", ""}) {
    INFO("signed with '" << secret << "'");
    bool listed = secret == "new" || secret == "old";
    std::string sha256 = "sha256=" + to_hex(hmac_sha256(secret, body));
    std::string sha1 = "sha1=" + to_hex(hmac_sha1(secret, body));
    CHECK(verify_sha256_signature(sha256, body, keys) == listed);
    CHECK(verify_sha256_signature(sha256, body, secrets) == listed);
    CHECK(verify_sha1_signature(sha1, body, keys) == listed);
    CHECK(verify_sha1_signature(sha1.substr(5), body, keys) == listed);
    CHECK(verify_sha1_signature(sha1, body, secrets) == listed);
    // The other digest's signature never passes.
    CHECK_FALSE(verify_sha256_signature("sha256=" + to_hex(hmac_sha1(secret, body)), body, keys));
    CHECK_FALSE(verify_sha1_signature(to_hex(hmac_sha256(secret, body)), body, keys));
  }
}

TEST_CASE("webhook_keys without a secret verify nothing", "[webhook]") {
  std::string body = "{}";
  for (const auto& secrets : {std::vector<std::string>{}, std::vector<std::string>{""}}) {
    webhook_keys keys(secrets);
    CHECK(keys.sha256().empty());
    CHECK_FALSE(verify_sha256_signature("sha256=" + to_hex(hmac_sha256("", body)), body, keys));
    CHECK_FALSE(verify_sha1_signature(to_hex(hmac_sha1("", body)), body, keys));
  }
}

TEST_CASE("webhook signature headers: hex of the exact size, either case", "[webhook]") {
  std::string body = "payload";
  webhook_keys keys({"s"});
  std::string hex = to_hex(hmac_sha256("s", body));
  CHECK(verify_sha256_signature(" sha256=" + hex + " ", body, keys));
  CHECK(verify_sha256_signature("SHA256=" + hex, body, keys));
  CHECK_FALSE(verify_sha256_signature("sha256=" + hex + "00", body, keys));
  CHECK_FALSE(verify_sha256_signature("sha256=" + hex.substr(1), body, keys));
  CHECK_FALSE(verify_sha256_signature("sha256=" + hex.substr(0, 63) + "g", body, keys));
  CHECK_FALSE(verify_sha256_signature("sha256=", body, keys));
  std::string hex1 = to_hex(hmac_sha1("s", body));
  CHECK_FALSE(verify_sha1_signature(hex1 + hex1, body, keys));
  CHECK_FALSE(verify_sha1_signature(hex1.substr(2), body, keys));
}
