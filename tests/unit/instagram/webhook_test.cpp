#include "igbridge/webhook.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "igbridge/crypto.hpp"

using namespace igbridge;
using ids = std::vector<std::string>;

namespace {

std::string sample(const std::string& name) {
  std::ifstream in(std::string(IGBRIDGE_SAMPLES_DIR) + "/" + name, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string upper(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return s;
}

std::string signed_field(const std::string& json, const std::string& secret) {
  std::string payload = base64url_encode(json);
  return base64url_encode(hmac_sha256(secret, payload)) + "." + payload;
}

} // namespace

// -- signatures ---------------------------------------------------------------

TEST_CASE("graph signature: sha256=<hex> over the raw body", "[webhook]") {
  std::string body = sample("graph_webhook.json");
  std::vector<std::string> secrets{"app-secret"};
  std::string hex = to_hex(hmac_sha256("app-secret", body));
  CHECK(verify_sha256_signature("sha256=" + hex, body, secrets));
  CHECK(verify_sha256_signature("sha256=" + upper(hex), body, secrets));
  CHECK_FALSE(verify_sha256_signature("sha256=" + hex, body, {"other-secret"}));
  CHECK_FALSE(verify_sha256_signature("sha256=" + hex, body + " ", secrets)); // tampered
  CHECK_FALSE(verify_sha256_signature(hex, body, secrets));                   // no prefix
  CHECK_FALSE(verify_sha256_signature("sha256=" + hex.substr(2), body, secrets));
  CHECK_FALSE(verify_sha256_signature("sha256=zz" + hex.substr(2), body, secrets));
  CHECK_FALSE(verify_sha256_signature("", body, secrets));
  CHECK_FALSE(verify_sha256_signature("sha256=" + hex, body, {}));
  CHECK_FALSE(verify_sha256_signature("sha256=" + to_hex(hmac_sha256("", body)), body, {""}));
  // The legacy header never passes as graph.
  CHECK_FALSE(verify_sha256_signature("sha1=" + to_hex(hmac_sha1("app-secret", body)), body,
                                      secrets));
}

TEST_CASE("a rotated secret is still accepted while listed", "[webhook]") {
  std::string body = R"({"object":"instagram","entry":[]})";
  std::string old_sig = "sha256=" + to_hex(hmac_sha256("old", body));
  CHECK(verify_sha256_signature(old_sig, body, {"new", "old"}));
  CHECK_FALSE(verify_sha256_signature(old_sig, body, {"new"}));
  std::string old_sha1 = to_hex(hmac_sha1("old", body));
  CHECK(verify_sha1_signature(old_sha1, body, {"new", "old"}));
}

TEST_CASE("legacy signature: <hex> or sha1=<hex>, HMAC-SHA1", "[webhook]") {
  std::string body = sample("legacy_update.json");
  std::vector<std::string> secrets{"client-secret"};
  std::string hex = to_hex(hmac_sha1("client-secret", body));
  CHECK(verify_sha1_signature(hex, body, secrets));
  CHECK(verify_sha1_signature("sha1=" + hex, body, secrets));
  CHECK(verify_sha1_signature(upper(hex), body, secrets));
  CHECK_FALSE(verify_sha1_signature(hex, body + "x", secrets));
  CHECK_FALSE(verify_sha1_signature(hex, body, {"wrong"}));
  CHECK_FALSE(verify_sha1_signature("sha256=" + to_hex(hmac_sha256("client-secret", body)), body,
                                    secrets));
  CHECK_FALSE(verify_sha1_signature(to_hex(hmac_sha256("client-secret", body)), body, secrets));
}

// -- payloads ------------------------------------------------------------------

TEST_CASE("graph update payload", "[webhook]") {
  auto got = parse_graph_update(sample("graph_webhook.json"));
  REQUIRE(got);
  CHECK(*got == ids{"17841400000000001"});
  auto many = parse_graph_update(
      R"({"object":"instagram","entry":[{"id":"1","time":1},{"id":2},{"id":"1"}]})");
  REQUIRE(many);
  CHECK(*many == ids{"1", "2"});
  auto empty = parse_graph_update(R"({"object":"instagram","entry":[]})");
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("graph update: messaging entries and dashboard tests name nobody", "[webhook]") {
  // A direct message: answered 200, no fetch (DESIGN 9).
  auto dm = parse_graph_update(
    R"({"object":"instagram","entry":[{"id":"17841400000000001","time":1569262486134,)"
    R"("messaging":[{"sender":{"id":"IGSID"},"recipient":{"id":"17841400000000001"},)"
    R"("timestamp":1569262485349,"message":{"mid":"m1","text":"hi"}}]}]})");
  REQUIRE(dm);
  CHECK(dm->empty());
  // The App Dashboard's "Test" button: entry id "0".
  auto test = parse_graph_update(
    R"({"entry":[{"id":"0","time":1,"changes":[{"field":"comments","value":{"id":"1"}}]}],)"
    R"("object":"instagram"})");
  REQUIRE(test);
  CHECK(test->empty());
  // Mixed: the entry with changes counts, the others do not.
  auto mixed = parse_graph_update(
    R"({"object":"instagram","entry":[{"id":"5","messaging":[]},{"id":"0","changes":[]},)"
    R"({"id":"7","changes":[{"field":"mentions"}]},{"id":"8","changes":[],"messaging":[]}]})");
  REQUIRE(mixed);
  CHECK(*mixed == ids{"7", "8"});
  // messaging must still be a list.
  CHECK_FALSE(parse_graph_update(R"({"object":"instagram","entry":[{"id":"5","messaging":{}}]})"));
}

TEST_CASE("graph update rejects hostile shapes", "[webhook]") {
  for (const char* bad : {
           "", "nope", "[]", "42", R"("instagram")",
           R"({"object":"page","entry":[]})",
           R"({"object":"instagram"})",
           R"({"object":"instagram","entry":{}})",
           R"({"object":"instagram","entry":[1]})",
           R"({"object":"instagram","entry":[{"time":1}]})",
           R"({"object":"instagram","entry":[{"id":null}]})",
           R"({"object":"instagram","entry":[{"id":1.5}]})",
           R"({"object":"instagram","entry":[{"id":-3}]})",
           R"({"object":"instagram","entry":[{"id":["1"]}]})",
           R"({"object":"instagram","entry":[{"id":"1","changes":{}}]})",
           R"({"object":"instagram","entry":[{"id":"1 OR 1=1"}]})",
           R"({"object":"instagram","entry":[{"id":"1"}]} trailing)",
       }) {
    INFO(bad);
    CHECK_FALSE(parse_graph_update(bad));
  }
}

TEST_CASE("graph update bounds: entries, ids, depth, size", "[webhook]") {
  auto entries = [](std::size_t n) {
    std::string s = R"({"object":"instagram","entry":[)";
    for (std::size_t i = 0; i < n; ++i) {
      s += (i ? "," : "") + std::string(R"({"id":")") + std::to_string(i + 1) + "\"}";
    }
    return s + "]}";
  };
  auto ok = parse_graph_update(entries(max_webhook_entries));
  REQUIRE(ok);
  CHECK(ok->size() == max_webhook_entries);
  CHECK_FALSE(parse_graph_update(entries(max_webhook_entries + 1)));

  std::string huge_id(100000, '7');
  CHECK_FALSE(parse_graph_update(R"({"object":"instagram","entry":[{"id":")" + huge_id + "\"}]}"));
  CHECK_FALSE(parse_graph_update(R"({"object":"instagram","entry":[{"id":)" + huge_id + "}]}"));

  std::string deep = R"({"object":"instagram","entry":[{"id":"1","changes":[{"value":)";
  deep += std::string(100000, '[') + std::string(100000, ']') + "}]}]}";
  CHECK_FALSE(parse_graph_update(deep));
  CHECK_FALSE(parse_legacy_update(std::string(100000, '[') + std::string(100000, ']')));

  std::string padded = R"({"object":"instagram","pad":")" + std::string(2 * 1024 * 1024, 'x') +
                       R"(","entry":[{"id":"1"}]})";
  CHECK_FALSE(parse_graph_update(padded));
}

TEST_CASE("legacy update payload", "[webhook]") {
  auto got = parse_legacy_update(sample("legacy_update.json"));
  REQUIRE(got);
  CHECK(*got == ids{"1574083"});
  auto mixed = parse_legacy_update(
      R"([{"object":"tag","object_id":"food"},{"object":"user","object_id":7},)"
      R"({"object":"user","object_id":"7"},{"object":"user","object_id":"8"}])");
  REQUIRE(mixed);
  CHECK(*mixed == ids{"7", "8"});
  for (const char* bad : {"{}", "[1]", R"([{"object_id":"1"}])", R"([{"object":1}])",
                          R"([{"object":"user"}])", R"([{"object":"user","object_id":{}}])",
                          R"([{"object":"user","object_id":"a/b"}])"}) {
    INFO(bad);
    CHECK_FALSE(parse_legacy_update(bad));
  }
  std::string many = "[";
  for (std::size_t i = 0; i <= max_webhook_entries; ++i) {
    many += (i ? "," : "") + std::string(R"({"object":"user","object_id":"1"})");
  }
  CHECK_FALSE(parse_legacy_update(many + "]"));
}

// -- signed_request ------------------------------------------------------------

TEST_CASE("signed_request", "[webhook]") {
  std::vector<std::string> secrets{"app-secret"};
  std::string good =
      R"({"algorithm":"HMAC-SHA256","issued_at":1763641200,"user_id":"17841400000000001"})";
  auto r = decode_signed_request(signed_field(good, "app-secret"), secrets);
  REQUIRE(r);
  CHECK(r->user_id == "17841400000000001");
  CHECK(r->issued_at == 1763641200);

  auto numeric = decode_signed_request(
      signed_field(R"({"algorithm":"HMAC-SHA256","user_id":17841400000000001})", "app-secret"),
      secrets);
  REQUIRE(numeric);
  CHECK(numeric->user_id == "17841400000000001");

  SECTION("rotated secret") {
    CHECK(decode_signed_request(signed_field(good, "old"), {"new", "old"}));
  }
  SECTION("forged") {
    CHECK_FALSE(decode_signed_request(signed_field(good, "attacker"), secrets));
    std::string field = signed_field(good, "app-secret");
    // Same signature, different payload.
    std::string other = base64url_encode(
        R"({"algorithm":"HMAC-SHA256","user_id":"666"})");
    CHECK_FALSE(decode_signed_request(field.substr(0, field.find('.') + 1) + other, secrets));
  }
  SECTION("bad base64") {
    std::string field = signed_field(good, "app-secret");
    CHECK_FALSE(decode_signed_request("!!" + field, secrets));
    CHECK_FALSE(decode_signed_request(field + "*", secrets));
    CHECK_FALSE(decode_signed_request("nodot", secrets));
    CHECK_FALSE(decode_signed_request("", secrets));
    CHECK_FALSE(decode_signed_request(field + ".extra", secrets));
  }
  SECTION("wrong algorithm") {
    CHECK_FALSE(decode_signed_request(
        signed_field(R"({"algorithm":"HMAC-SHA1","user_id":"1"})", "app-secret"), secrets));
    CHECK_FALSE(decode_signed_request(signed_field(R"({"user_id":"1"})", "app-secret"), secrets));
  }
  SECTION("missing or bad user_id") {
    CHECK_FALSE(decode_signed_request(
        signed_field(R"({"algorithm":"HMAC-SHA256","issued_at":1})", "app-secret"), secrets));
    CHECK_FALSE(decode_signed_request(
        signed_field(R"({"algorithm":"HMAC-SHA256","user_id":null})", "app-secret"), secrets));
    CHECK_FALSE(decode_signed_request(signed_field("[1]", "app-secret"), secrets));
    CHECK_FALSE(decode_signed_request(signed_field("not json", "app-secret"), secrets));
  }
}

// -- two apps' secrets (DESIGN 9) ------------------------------------------------

TEST_CASE("signatures and signed_requests verify against both apps' secrets and the extras",
          "[webhook]") {
  webhook_keys keys({{"ig-secret", key_origin::instagram},
                     {"meta-secret", key_origin::meta},
                     {"", key_origin::extra}, // an unset file verifies nothing
                     {"old-secret", key_origin::extra}});
  std::string body = R"({"object":"instagram","entry":[]})";
  auto sig = [&](const std::string& secret) { return "sha256=" + to_hex(hmac_sha256(secret, body)); };
  CHECK(match_sha256_signature(sig("ig-secret"), body, keys) == key_origin::instagram);
  CHECK(match_sha256_signature(sig("meta-secret"), body, keys) == key_origin::meta);
  CHECK(match_sha256_signature(sig("old-secret"), body, keys) == key_origin::extra);
  CHECK(match_sha256_signature(sig("other"), body, keys) == key_origin::none);
  CHECK(match_sha256_signature(sig(""), body, keys) == key_origin::none);
  CHECK(match_sha1_signature(to_hex(hmac_sha1("meta-secret", body)), body, keys) == key_origin::meta);
  CHECK(std::string(to_string(key_origin::meta)) == "meta");

  std::string payload = R"({"algorithm":"HMAC-SHA256","issued_at":1,"user_id":"7"})";
  for (auto [secret, origin] : {std::pair{"ig-secret", key_origin::instagram},
                                std::pair{"meta-secret", key_origin::meta},
                                std::pair{"old-secret", key_origin::extra}}) {
    auto r = decode_signed_request(signed_field(payload, secret), keys);
    REQUIRE(r);
    CHECK(r->key == origin);
    CHECK(r->user_id == "7");
  }
  CHECK_FALSE(decode_signed_request(signed_field(payload, "attacker"), keys));
  CHECK_FALSE(decode_signed_request(signed_field(payload, ""), keys));
}
