#include <catch2/catch.hpp>

#include "igbridge/crypto.hpp"

using namespace igbridge;

namespace {

std::string hex_of(std::string_view s) {
  return to_hex(s);
}

} // namespace

TEST_CASE("HMAC-SHA256 matches RFC 4231 vectors", "[crypto]") {
  // Test case 1
  CHECK(hex_of(hmac_sha256(std::string(20, '\x0b'), "Hi There"))
        == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2
  CHECK(hex_of(hmac_sha256("Jefe", "what do ya want for nothing?"))
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: key longer than the block size
  CHECK(hex_of(hmac_sha256(std::string(131, '\xaa'),
                           "Test Using Larger Than Block-Size Key - Hash Key First"))
        == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("HMAC-SHA1 matches RFC 2202 vectors", "[crypto]") {
  CHECK(hex_of(hmac_sha1(std::string(20, '\x0b'), "Hi There"))
        == "b617318655057264e28bc0b6fb378c8ef146be00");
  CHECK(hex_of(hmac_sha1("Jefe", "what do ya want for nothing?"))
        == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST_CASE("HMAC with an empty key and message", "[crypto]") {
  CHECK(hex_of(hmac_sha256("", ""))
        == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("SHA-256 of known inputs", "[crypto]") {
  CHECK(hex_of(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex_of(sha256("abc"))
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("SHA-256 in pieces equals SHA-256 at once", "[crypto]") {
  std::string data;
  for (int i = 0; i < 100000; ++i) {
    data += static_cast<char>(i * 31);
  }
  sha256_stream s;
  for (std::size_t i = 0; i < data.size(); i += 777) {
    s.update(std::string_view(data).substr(i, 777));
  }
  CHECK(s.finish() == sha256(data));
  sha256_stream empty;
  CHECK(hex_of(empty.finish()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("hex round trip and invalid input", "[crypto]") {
  CHECK(to_hex(std::string("\x00\xff\x10", 3)) == "00ff10");
  CHECK(from_hex("00FF10") == std::string("\x00\xff\x10", 3));
  CHECK(from_hex("") == std::string());
  CHECK_FALSE(from_hex("abc"));
  CHECK_FALSE(from_hex("zz"));
}

TEST_CASE("base64 standard encoding (RFC 4648 vectors)", "[crypto]") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_decode("Zm9vYg==") == std::string("foob"));
  CHECK(base64_decode("Zm9vYmE=") == std::string("fooba"));
  CHECK_FALSE(base64_decode("Zm9vYg")); // padding required
  CHECK_FALSE(base64_decode("Zm9v!mFy"));
  CHECK_FALSE(base64_decode("Zm9vYg=a"));
  CHECK_FALSE(base64_decode("Z==="));
}

TEST_CASE("base64url round trips every byte and rejects bad text", "[crypto]") {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all += char(i);
  }
  for (std::size_t n = 0; n <= all.size(); n += 17) {
    auto part = all.substr(0, n);
    auto enc = base64url_encode(part);
    CHECK(enc.find_first_of("+/=") == std::string::npos);
    CHECK(base64url_decode(enc) == part);
  }
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK(base64url_decode("-_8") == std::string("\xfb\xff"));
  CHECK(base64url_decode("-_8=") == std::string("\xfb\xff")); // padding optional
  CHECK_FALSE(base64url_decode("+/8"));  // standard alphabet
  CHECK_FALSE(base64url_decode("a"));    // impossible length
  CHECK_FALSE(base64url_decode("ab c"));
  CHECK_FALSE(base64url_decode("-_9"));  // non-zero trailing bits
}

TEST_CASE("constant_time_equal", "[crypto]") {
  CHECK(constant_time_equal("", ""));
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
}

TEST_CASE("random bytes and tokens", "[crypto]") {
  CHECK(random_bytes(0).empty());
  CHECK(random_bytes(33).size() == 33);
  auto a = random_token();
  auto b = random_token();
  CHECK(a.size() == 32);
  CHECK(from_hex(a));
  CHECK(a != b);
}

TEST_CASE("seal and unseal", "[crypto]") {
  auto key = random_bytes(32);

  SECTION("round trip") {
    for (std::string pt : {std::string(), std::string("IGQVJ-token"), std::string(5000, 'x')}) {
      auto sealed = seal(key, pt);
      CHECK(sealed.rfind("v1.", 0) == 0);
      CHECK(unseal(key, sealed) == pt);
    }
  }
  SECTION("fresh nonce each time") {
    CHECK(seal(key, "same") != seal(key, "same"));
  }
  SECTION("wrong key") {
    auto sealed = seal(key, "secret");
    auto other = key;
    other[0] = char(other[0] ^ 1);
    CHECK_FALSE(unseal(other, sealed));
    CHECK_FALSE(unseal("short", sealed));
  }
  SECTION("tampering anywhere is detected") {
    auto sealed = seal(key, "secret token");
    auto blob = *base64url_decode(sealed.substr(3));
    for (std::size_t i = 0; i < blob.size(); ++i) {
      auto bad = blob;
      bad[i] = char(bad[i] ^ 0x01);
      CHECK_FALSE(unseal(key, "v1." + base64url_encode(bad)));
    }
    CHECK_FALSE(unseal(key, "v1." + base64url_encode(blob.substr(0, blob.size() - 1))));
  }
  SECTION("malformed input") {
    CHECK_FALSE(unseal(key, ""));
    CHECK_FALSE(unseal(key, "plain-token"));
    CHECK_FALSE(unseal(key, "v1.!!!"));
    CHECK_FALSE(unseal(key, "v1." + base64url_encode("tooshort")));
    CHECK_FALSE(unseal(key, "v2." + seal(key, "x").substr(3)));
  }
  SECTION("a key of the wrong size is refused") {
    CHECK_THROWS(seal("short", "x"));
  }
}
