#include "igbridge/sink_format.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "igbridge/crypto.hpp"
#include "igbridge/urls.hpp"

using namespace igbridge;
using json = nlohmann::json;

namespace {

outbox_entry entry() {
  outbox_entry e;
  e.seq = 7;
  e.type = event_type::media_imported;
  e.id = "instagram:17895695668004550";
  e.user = "u42";
  e.data = R"({"id":"instagram:17895695668004550","user":"u42","instagram_user_id":"178414",)"
           R"("media_id":"17895695668004550","caption":"Lentil soup #eatdifferent #homemade",)"
           R"("tags":["eatdifferent","homemade"],"media_type":"IMAGE",)"
           R"("media_url":"https://cdn.example/lentil.jpg?a=1&b=2",)"
           R"("permalink":"https://www.instagram.com/p/C0lentil01/",)"
           R"("taken_at":"2026-11-20T12:34:56Z","imported_at":"2026-11-20T12:40:00Z"})";
  return e;
}

} // namespace

TEST_CASE("Standard Webhooks signature matches the reference vector", "[sink_format]") {
  CHECK(standard_webhook_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                   "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                   R"({"test": 2432232314})") ==
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  // Without the prefix the secret is the key itself.
  CHECK(standard_webhook_signature("raw-key", "id", 1, "{}") ==
        "v1," + base64_encode(hmac_sha256("raw-key", "id.1.{}")));
}

TEST_CASE("jsonl line: the record with type and timestamp first", "[sink_format]") {
  std::string line = jsonl_line(entry(), 1763641200);
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  CHECK(line.rfind(R"({"type":"media.imported","timestamp":1763641200,"id":)", 0) == 0);
  auto j = json::parse(line);
  CHECK(j["media_id"] == "17895695668004550");
  CHECK(j["tags"] == json::array({"eatdifferent", "homemade"}));
  CHECK(j["user"] == "u42");
}

TEST_CASE("jsonl line: the record's own bytes behind type and timestamp", "[sink_format]") {
  auto e = entry();
  // The same bytes as building the line field by field.
  auto record = nlohmann::ordered_json::parse(e.data);
  nlohmann::ordered_json built{{"type", to_string(e.type)}, {"timestamp", 1763641200}};
  for (auto& [k, v] : record.items()) {
    built[k] = v;
  }
  CHECK(jsonl_line(e, 1763641200) == built.dump() + "\n");
  // A record with keys of its own named type or timestamp: the line's win.
  e.data = R"({"type":"other","timestamp":"x","id":"a","nested":{"type":1}})";
  auto j = json::parse(jsonl_line(e, 5));
  CHECK(j["type"] == "media.imported");
  CHECK(j["timestamp"] == 5);
  CHECK(j["nested"]["type"] == 1);
  // A nested "type" alone does not stop the splice.
  e.data = R"({"id":"a","nested":{"type":1},"list":[{"timestamp":2}]})";
  CHECK(jsonl_line(e, 5) ==
        R"({"type":"media.imported","timestamp":5,"id":"a","nested":{"type":1},"list":[{"timestamp":2}]})"
        "\n");
  // Not an object, or an empty one.
  e.data = R"(["a"])";
  CHECK(json::parse(jsonl_line(e, 5))["data"] == json::array({"a"}));
  e.data = "{}";
  CHECK(jsonl_line(e, 5) == R"({"type":"media.imported","timestamp":5})" "\n");
}

TEST_CASE("webhook request: body, headers and a verifiable signature", "[sink_format]") {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  auto r = webhook_request("https://app.example/hook", secret, entry(), 1763641200);
  CHECK(r.method == "POST");
  CHECK(r.url == "https://app.example/hook");
  CHECK(header_value(r.headers, "Content-Type") == "application/json");
  CHECK(header_value(r.headers, "webhook-id") == "instagram:17895695668004550");
  CHECK(header_value(r.headers, "webhook-timestamp") == "1763641200");
  auto body = json::parse(r.body);
  CHECK(body["type"] == "media.imported");
  CHECK(body["timestamp"] == "2025-11-20T12:20:00Z");
  CHECK(body["data"]["media_id"] == "17895695668004550");
  CHECK(body["data"] == json::parse(entry().data));
  // Verify as a receiver would, from the headers alone.
  auto key = base64_decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  REQUIRE(key);
  std::string expected =
      "v1," + base64_encode(hmac_sha256(*key, header_value(r.headers, "webhook-id") + "." +
                                                  header_value(r.headers, "webhook-timestamp") +
                                                  "." + r.body));
  CHECK(header_value(r.headers, "webhook-signature") == expected);
}

TEST_CASE("micropub request: an h-entry form with a bearer token", "[sink_format]") {
  auto e = entry();
  auto r = micropub_request("https://blog.example/micropub", "tok", e, "form", micropub_media_of(e));
  CHECK(r.method == "POST");
  CHECK(r.url == "https://blog.example/micropub");
  CHECK(header_value(r.headers, "Authorization") == "Bearer tok");
  CHECK(header_value(r.headers, "content-type") == "application/x-www-form-urlencoded");
  auto form = parse_query(r.body);
  CHECK(param(form, "h") == "entry");
  CHECK(param(form, "content") == "Lentil soup #eatdifferent #homemade");
  CHECK(param(form, "photo") == "https://cdn.example/lentil.jpg?a=1&b=2");
  CHECK(param(form, "published") == "2026-11-20T12:34:56Z");
  CHECK(param(form, "syndication") == "https://www.instagram.com/p/C0lentil01/");
  std::vector<std::string> categories;
  for (const auto& [k, v] : form) {
    if (k == "category[]") {
      categories.push_back(v);
    }
  }
  CHECK(categories == std::vector<std::string>{"eatdifferent", "homemade"});
}

TEST_CASE("hostile record text never throws", "[sink_format]") {
  auto e = entry();
  e.data = R"({"caption":")" + std::string("\xFF\xFE") + R"("})";
  CHECK_NOTHROW(jsonl_line(e, 1));
  e.data = "not json";
  CHECK_NOTHROW(webhook_request("https://x", "whsec_AAAA", e, 1));
  CHECK_NOTHROW(micropub_request("https://x", "t", e, "json", micropub_media_of(e)));
}

TEST_CASE("micropub: stored media as URLs (json) or as files (multipart); video as video",
          "[sink_format]") {
  auto e = entry();
  auto record = json::parse(e.data);
  std::string sha(64, 'a');
  record["media"] = json::array(
    {{{"type", "VIDEO"}, {"url", "https://m.example/" + sha + ".mp4"}, {"sha256", sha},
      {"content_type", "video/mp4"}, {"bytes", 3}},
     {{"type", "IMAGE"}, {"url", "https://m.example/" + sha + ".jpg"}, {"sha256", sha},
      {"content_type", "image/jpeg"}, {"bytes", 3}}});
  e.data = record.dump();
  auto media = micropub_media_of(e);
  REQUIRE(media.size() == 2);
  CHECK(media[0].video);
  CHECK(media[0].file == sha + ".mp4");
  CHECK(media[1].file == sha + ".jpg");

  auto j = micropub_request("https://b.example/mp", "t", e, "json", media);
  CHECK(header_value(j.headers, "content-type") == "application/json");
  auto body = json::parse(j.body);
  CHECK(body["type"] == json::array({"h-entry"}));
  CHECK(body["properties"]["video"] == json::array({"https://m.example/" + sha + ".mp4"}));
  CHECK(body["properties"]["photo"] == json::array({"https://m.example/" + sha + ".jpg"}));
  CHECK(body["properties"]["category"] == json::array({"eatdifferent", "homemade"}));

  auto m = micropub_multipart_request("https://b.example/mp", "t", e, media, {"VID", "IMG"});
  auto ct = header_value(m.headers, "content-type");
  REQUIRE(ct.rfind("multipart/form-data; boundary=", 0) == 0);
  CHECK(m.body.find("name=\"video[]\"; filename=\"" + sha + ".mp4\"\r\nContent-Type: video/mp4\r\n\r\nVID\r\n")
        != std::string::npos);
  CHECK(m.body.find("name=\"photo[]\"; filename=\"" + sha + ".jpg\"") != std::string::npos);
  CHECK(m.body.find("name=\"photo[]\"; filename=\"" + sha + ".mp4\"") == std::string::npos);
}
