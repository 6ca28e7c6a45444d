// hmac_key: a context keyed once, with a working copy per thread reset per
// call, gives the MACs of the one-shot functions, under one key from many
// threads at once, and never a MAC under another key.

#include <catch2/catch.hpp>

#include <memory>
#include <thread>
#include <vector>

#include "igbridge/crypto.hpp"

using namespace igbridge;

TEST_CASE("hmac_key gives the one-shot MACs", "[crypto]") {
  const std::vector<std::string> keys{"", "Jefe", std::string(20, '\x0b'),
                                      std::string(131, '\xaa'), "app-secret"};
  std::vector<std::string> messages{"", "Hi There", "what do ya want for nothing?"};
  for (std::size_t n : {55, 56, 63, 64, 65, 1000, 100000}) {
    messages.push_back(std::string(n, static_cast<char>('a' + n % 26)));
  }
  for (const auto& key : keys) {
    hmac_key sha256(hmac_key::digest::sha256, key);
    hmac_key sha1(hmac_key::digest::sha1, key);
    CHECK(sha256.size() == 32);
    CHECK(sha1.size() == 20);
    for (const auto& msg : messages) {
      INFO("key size " << key.size() << ", message size " << msg.size());
      CHECK(sha256.sign(msg) == hmac_sha256(key, msg));
      CHECK(sha1.sign(msg) == hmac_sha1(key, msg));
      // The keyed context is left as it was: the same answer again.
      CHECK(sha256.sign(msg) == hmac_sha256(key, msg));
    }
  }
  // RFC 4231 test case 2, spelled out.
  CHECK(to_hex(hmac_key(hmac_key::digest::sha256, "Jefe").sign("what do ya want for nothing?"))
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("hmac_key verify takes only the exact MAC", "[crypto]") {
  hmac_key key(hmac_key::digest::sha256, "app-secret");
  std::string body = R"({"object":"instagram","entry":[]})";
  std::string mac = hmac_sha256("app-secret", body);
  CHECK(key.verify(body, mac));
  CHECK_FALSE(key.verify(body + " ", mac));
  CHECK_FALSE(key.verify(body, mac.substr(0, 31)));
  CHECK_FALSE(key.verify(body, mac + "x"));
  CHECK_FALSE(key.verify(body, ""));
  std::string flipped = mac;
  flipped[31] = static_cast<char>(flipped[31] ^ 1);
  CHECK_FALSE(key.verify(body, flipped));
  CHECK_FALSE(key.verify(body, hmac_sha1("app-secret", body)));
}

TEST_CASE("one hmac_key signs from many threads at once", "[crypto]") {
  const hmac_key key(hmac_key::digest::sha256, "shared-secret");
  std::vector<std::string> bodies;
  std::vector<std::string> want;
  for (int i = 0; i < 16; ++i) {
    bodies.push_back("body " + std::string(static_cast<std::size_t>(i * 37), 'x'));
    want.push_back(hmac_sha256("shared-secret", bodies.back()));
  }
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        std::size_t b = static_cast<std::size_t>((i + t) % 16);
        if (!key.verify(bodies[b], want[b]) || key.sign(bodies[b]) != want[b]) {
          ++wrong[static_cast<std::size_t>(t)];
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  CHECK(wrong == std::vector<int>(4, 0));
}

TEST_CASE("a key made where an old one was gets its own MACs", "[crypto]") {
  std::string body = "{\"object\":\"instagram\"}";
  for (int i = 0; i < 40; ++i) {
    // Often at the address the last one had: the working copy of the old
    // key must not be taken for this one's.
    auto secret = "secret-" + std::to_string(i);
    auto key = std::make_unique<hmac_key>(hmac_key::digest::sha256, secret);
    REQUIRE(key->sign(body) == hmac_sha256(secret, body));
    REQUIRE(key->verify(body, hmac_sha256(secret, body)));
    REQUIRE_FALSE(key->verify(body, hmac_sha256("secret-" + std::to_string(i + 1), body)));
  }
}

TEST_CASE("more keys than a thread keeps copies of, used in turn", "[crypto]") {
  std::vector<hmac_key> keys;
  for (int i = 0; i < 20; ++i) {
    keys.emplace_back(i % 2 ? hmac_key::digest::sha1 : hmac_key::digest::sha256,
                      "k" + std::to_string(i));
  }
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      auto secret = "k" + std::to_string(i);
      auto msg = "message " + std::to_string(round);
      CHECK(keys[i].sign(msg) == (i % 2 ? hmac_sha1(secret, msg) : hmac_sha256(secret, msg)));
    }
  }
}
