#include <catch2/catch.hpp>

#include "igbridge/crypto.hpp"
#include "igbridge/link.hpp"
#include "igbridge/urls.hpp"

using namespace igbridge;

TEST_CASE("link_signature is hex HMAC-SHA256 of user.exp", "[link]") {
  CHECK(link_signature("secret", "alice", 1700000000)
        == to_hex(hmac_sha256("secret", "alice.1700000000")));
  CHECK(link_signature("secret", "alice", 1700000000).size() == 64);
}

TEST_CASE("make_link_url builds a start URL that verifies", "[link]") {
  auto url = make_link_url("https://bridge.example/", "s3cret", "user 1/é", 2000);
  auto parts = parse_url(url);
  REQUIRE(parts);
  CHECK(parts->host == "bridge.example");
  auto q = parts->target.substr(parts->target.find('?') + 1);
  CHECK(parts->target.rfind("/oauth/instagram/start?", 0) == 0);
  auto p = parse_query(q);
  CHECK(param(p, "user") == std::string("user 1/é"));
  CHECK(param(p, "exp") == std::string("2000"));
  CHECK(verify_link("s3cret", *param(p, "user"), *param(p, "exp"), *param(p, "sig"), 1000)
        == link_check::ok);
}

TEST_CASE("verify_link outcomes", "[link]") {
  const std::string secret = "link-secret";
  auto sig = link_signature(secret, "bob", 5000);

  CHECK(verify_link(secret, "bob", "5000", sig, 4999) == link_check::ok);

  SECTION("upper-case hex is accepted") {
    std::string upper = sig;
    for (auto& c : upper) {
      c = char(std::toupper(static_cast<unsigned char>(c)));
    }
    CHECK(verify_link(secret, "bob", "5000", upper, 4999) == link_check::ok);
  }
  SECTION("bad signature") {
    CHECK(verify_link("other", "bob", "5000", sig, 4999) == link_check::bad_signature);
    CHECK(verify_link(secret, "mallory", "5000", sig, 4999) == link_check::bad_signature);
    CHECK(verify_link(secret, "bob", "5001", sig, 4999) == link_check::bad_signature);
    CHECK(verify_link(secret, "bob", "5000", sig.substr(1), 4999) == link_check::bad_signature);
  }
  SECTION("expired, but only once the signature is good") {
    CHECK(verify_link(secret, "bob", "5000", sig, 5000) == link_check::expired);
    CHECK(verify_link(secret, "bob", "5000", sig, 9999) == link_check::expired);
    // A forged link learns nothing about expiry.
    CHECK(verify_link("other", "bob", "5000", sig, 9999) == link_check::bad_signature);
  }
  SECTION("malformed") {
    CHECK(verify_link(secret, "", "5000", sig, 0) == link_check::malformed);
    CHECK(verify_link(secret, "bob", "", sig, 0) == link_check::malformed);
    CHECK(verify_link(secret, "bob", "5000", "", 0) == link_check::malformed);
    CHECK(verify_link(secret, "bob", "-5", sig, 0) == link_check::malformed);
    CHECK(verify_link(secret, "bob", "50x0", sig, 0) == link_check::malformed);
    CHECK(verify_link(secret, "bob", "99999999999999999999999", sig, 0) == link_check::malformed);
  }
}
