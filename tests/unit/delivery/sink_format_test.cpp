#include "igbridge/sink_format.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

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
  CHECK(line.rfind(R"({"type":"media.imported","event_id":"instagram:17895695668004550",)"
                   R"("timestamp":1763641200,"id":)", 0) == 0);
  auto j = json::parse(line);
  CHECK(j["media_id"] == "17895695668004550");
  CHECK(j["tags"] == json::array({"eatdifferent", "homemade"}));
  CHECK(j["user"] == "u42");
}

TEST_CASE("jsonl line: the record's own bytes behind type and timestamp", "[sink_format]") {
  auto e = entry();
  // The same bytes as building the line field by field.
  auto record = nlohmann::ordered_json::parse(e.data);
  nlohmann::ordered_json built{
    {"type", to_string(e.type)}, {"event_id", e.id}, {"timestamp", 1763641200}};
  for (auto& [k, v] : record.items()) {
    built[k] = v;
  }
  CHECK(jsonl_line(e, 1763641200) == built.dump() + "\n");
  // A record with keys of its own named like the line's: the line's win.
  e.data = R"({"type":"other","timestamp":"x","event_id":"y","id":"a","nested":{"type":1}})";
  auto j = json::parse(jsonl_line(e, 5));
  CHECK(j["type"] == "media.imported");
  CHECK(j["event_id"] == e.id);
  CHECK(j["timestamp"] == 5);
  CHECK(j["nested"]["type"] == 1);
  // A nested "type" alone does not stop the splice.
  e.id = "a";
  e.data = R"({"id":"a","nested":{"type":1},"list":[{"timestamp":2}]})";
  CHECK(jsonl_line(e, 5) ==
        R"({"type":"media.imported","event_id":"a","timestamp":5,"id":"a","nested":{"type":1},"list":[{"timestamp":2}]})"
        "\n");
  // Not an object, or an empty one.
  e.data = R"(["a"])";
  CHECK(json::parse(jsonl_line(e, 5))["data"] == json::array({"a"}));
  e.data = "{}";
  CHECK(jsonl_line(e, 5) == R"({"type":"media.imported","event_id":"a","timestamp":5})" "\n");
}

TEST_CASE("webhook request: body, headers and a verifiable signature", "[sink_format]") {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  auto r = webhook_request("https://app.example/hook", {secret}, entry(), 1763641200);
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
  CHECK_NOTHROW(webhook_request("https://x", {"whsec_AAAA"}, e, 1));
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

// -- every event of DESIGN §9 in each sink's form ---------------------------------

namespace {

/// One event as the producer queues it: type, event_id and data.
outbox_entry event(event_type type, std::string id, const json& data) {
  outbox_entry e;
  e.seq = 9;
  e.type = type;
  e.id = std::move(id);
  e.user = "u42";
  e.data = data.dump();
  return e;
}

/// One example of each event (docs/events.md shows the same shapes).
std::vector<outbox_entry> every_event() {
  auto imported = entry();
  auto record = json::parse(imported.data);
  const std::string sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  record["media"] = json::array(
    {{{"type", "IMAGE"}, {"url", "https://igbridge.example.com/media/" + sha + ".jpg"},
      {"sha256", sha}, {"content_type", "image/jpeg"}, {"bytes", 183502}}});
  imported.data = record.dump();
  auto updated = record;
  updated["caption"] = "Lentil soup #eatdifferent";
  updated["tags"] = json::array({"eatdifferent"});
  updated["previous"] = {{"caption", "Lentil soup #eatdifferent #homemade"},
                         {"tags", json::array({"eatdifferent", "homemade"})}};
  json account{{"user", "u42"}, {"instagram_user_id", "178414"}, {"username", "lentil.fan"},
               {"at", "2026-11-21T08:00:00Z"}};
  auto relink = account;
  relink["reason"] = "permissions";
  relink["permission"] = "instagram_business_basic";
  auto unlinked = account;
  unlinked["by"] = "deauthorize";
  auto deleted = account;
  deleted["confirmation_code"] = "c0de";
  return {
    imported,
    event(event_type::media_updated, "media.updated:17895695668004550:1795251600", updated),
    event(event_type::media_deleted, "media.deleted:17895695668004550:1795338000",
          {{"id", "instagram:17895695668004550"}, {"user", "u42"}, {"instagram_user_id", "178414"},
           {"media_id", "17895695668004550"},
           {"permalink", "https://www.instagram.com/p/C0lentil01/"},
           {"deleted_at", "2026-11-22T09:00:00Z"}}),
    event(event_type::account_linked, "account.linked:u42:1795248000", account),
    event(event_type::account_needs_relink, "account.needs_relink:u42:1795248000", relink),
    event(event_type::account_unlinked, "account.unlinked:u42:1795248000", unlinked),
    event(event_type::account_deleted, "account.deleted:u42:1795248000", deleted),
    event(event_type::link_revoked, "link.revoked:u42:1795248000",
          {{"id", "link.revoked:u42:1795248000"}, {"user", "u42"},
           {"instagram_user_id", "178414"}, {"reason", "token_invalid"},
           {"revoked_at", "2026-11-21T08:00:00Z"}}),
    event(event_type::test, "test:5f1c2a9be0d43c77",
          {{"message", "igbridge sink test: events reach this sink"},
           {"at", "2026-11-21T08:00:00Z"}}),
  };
}

} // namespace

TEST_CASE("jsonl: one line per event, with its type, event_id and every data field",
          "[sink_format]") {
  auto events = every_event();
  REQUIRE(events.size() == std::size(all_event_types));
  for (const auto& e : events) {
    INFO(to_string(e.type));
    auto line = jsonl_line(e, 1763641200);
    CHECK(std::count(line.begin(), line.end(), '\n') == 1);
    auto j = json::parse(line);
    CHECK(j["type"] == to_string(e.type));
    CHECK(j["event_id"] == e.id);
    CHECK(j["timestamp"] == 1763641200);
    auto data = json::parse(e.data);
    for (auto& [k, v] : data.items()) {
      CHECK(j[k] == v);
    }
    CHECK(j.size() == data.size() + 3);
  }
}

TEST_CASE("webhook: every event with its type, event_id as webhook-id, signed with each secret",
          "[sink_format]") {
  const std::string old_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::string new_secret = "whsec_" + base64_encode("a second secret, rotated in");
  for (const auto& e : every_event()) {
    INFO(to_string(e.type));
    auto r = webhook_request("https://app.example/hook", {old_secret, new_secret}, e, 1763641200);
    auto body = json::parse(r.body);
    CHECK(body["type"] == to_string(e.type));
    CHECK(body["data"] == json::parse(e.data));
    CHECK(header_value(r.headers, "webhook-id") == e.id);
    CHECK(header_value(r.headers, "webhook-signature")
          == standard_webhook_signature(old_secret, e.id, 1763641200, r.body) + " "
               + standard_webhook_signature(new_secret, e.id, 1763641200, r.body));
  }
  // One secret: one signature, as before.
  auto r = webhook_request("https://app.example/hook", {old_secret}, entry(), 1);
  CHECK(header_value(r.headers, "webhook-signature").find(' ') == std::string::npos);
}

TEST_CASE("micropub update: the changed properties, in the spec's JSON form", "[sink_format]") {
  auto events = every_event();
  const auto& updated = events[1];
  const std::string post = "https://blog.example/2026/11/lentil";
  auto r = micropub_update_request("https://blog.example/micropub", "tok", updated, post,
                                   micropub_media_of(updated));
  CHECK(r.method == "POST");
  CHECK(header_value(r.headers, "Authorization") == "Bearer tok");
  CHECK(header_value(r.headers, "content-type") == "application/json");
  // Caption and tags changed, the media did not: only content and category.
  CHECK(json::parse(r.body) == json::parse(R"({"action":"update","url":")" + post + R"(",
    "replace":{"content":["Lentil soup #eatdifferent"],"category":["eatdifferent"]}})"));

  // The last tag removed: category is deleted, not replaced by nothing.
  auto record = json::parse(updated.data);
  record["caption"] = "Lentil soup";
  record["tags"] = json::array();
  record["previous"] = {{"tags", json::array({"eatdifferent"})}};
  auto e = event(event_type::media_updated, "u:2", record);
  CHECK(json::parse(micropub_update_request("u", "t", e, post, micropub_media_of(e)).body)
        == json::parse(R"({"action":"update","url":")" + post + R"(","delete":["category"]})"));

  // The post became a video: video replaced, photo deleted.
  std::string sha(64, 'b');
  record["media_type"] = "VIDEO";
  record["media"] = json::array({{{"type", "VIDEO"}, {"url", "https://m.example/" + sha + ".mp4"},
                                  {"sha256", sha}, {"content_type", "video/mp4"}, {"bytes", 9}}});
  record["previous"] = {{"media_type", "IMAGE"}};
  e = event(event_type::media_updated, "u:3", record);
  auto changes = micropub_changes_of(e);
  CHECK_FALSE(changes.content);
  CHECK_FALSE(changes.category);
  CHECK(changes.media);
  CHECK(json::parse(micropub_update_request("u", "t", e, post, micropub_media_of(e)).body)
        == json::parse(R"({"action":"update","url":")" + post
                       + R"(","replace":{"video":["https://m.example/)" + sha
                       + R"(.mp4"]},"delete":["photo"]})"));

  // No `previous` naming a property the post shows: every one again.
  record.erase("previous");
  e = event(event_type::media_updated, "u:4", record);
  auto all = json::parse(micropub_update_request("u", "t", e, post, micropub_media_of(e)).body);
  CHECK(all["replace"]["content"] == json::array({"Lentil soup"}));
  CHECK(all["replace"]["video"].size() == 1);
  CHECK(all["replace"].size() == 2);
  CHECK(all["delete"] == json::array({"category", "photo"}));
}

TEST_CASE("micropub delete: the post's URL, in the spec's JSON form", "[sink_format]") {
  auto r = micropub_delete_request("https://blog.example/micropub", "tok",
                                   "https://blog.example/2026/11/lentil");
  CHECK(r.method == "POST");
  CHECK(r.url == "https://blog.example/micropub");
  CHECK(header_value(r.headers, "Authorization") == "Bearer tok");
  CHECK(header_value(r.headers, "content-type") == "application/json");
  CHECK(json::parse(r.body)
        == json::parse(R"({"action":"delete","url":"https://blog.example/2026/11/lentil"})"));
}

TEST_CASE("micropub location: the create's Location, made absolute", "[sink_format]") {
  auto answer = [](std::string location) {
    http_response r;
    r.status = 201;
    if (!location.empty()) {
      r.headers.emplace_back("Location", std::move(location));
    }
    return r;
  };
  const std::string endpoint = "https://blog.example/api/micropub?x=1";
  CHECK(micropub_location(answer("https://blog.example/p/1"), endpoint)
        == "https://blog.example/p/1");
  CHECK(micropub_location(answer("/p/1"), endpoint) == "https://blog.example/p/1");
  CHECK(micropub_location(answer("//cdn.example/p/1"), endpoint) == "https://cdn.example/p/1");
  CHECK(micropub_location(answer("p/1"), endpoint) == "https://blog.example/api/p/1");
  CHECK(micropub_location(answer("/p/1"), "http://127.0.0.1:8080/mp")
        == "http://127.0.0.1:8080/p/1");
  CHECK(micropub_location(answer(""), endpoint).empty());
  CHECK(micropub_location(answer("/p/1 x"), endpoint).empty());
}

TEST_CASE("docs/events.md: every example is what the sinks send", "[sink_format]") {
  std::ifstream in(std::string(IGBRIDGE_SAMPLES_DIR) + "/../../docs/events.md");
  REQUIRE(in);
  auto events = every_event();
  auto of_type = [&](const std::string& type) -> const outbox_entry& {
    for (const auto& e : events) {
      if (type == to_string(e.type)) {
        return e;
      }
    }
    FAIL("no event of type " << type);
    return events.front();
  };
  // Blocks opened by "```json example:<sink>:<type>".
  std::map<std::string, int64_t> delivered_at; // type → its JSONL example's timestamp
  std::set<std::string> shown;
  const std::string open = "```json example:";
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(open, 0) != 0) {
      continue;
    }
    auto what = line.substr(open.size());
    auto colon = what.find(':');
    auto sink = what.substr(0, colon);
    auto type = what.substr(colon + 1);
    std::string text;
    while (std::getline(in, line) && line != "```") {
      text += line + "\n";
    }
    INFO(what << "\n" << text);
    auto doc = json::parse(text, nullptr, false);
    REQUIRE_FALSE(doc.is_discarded());
    const auto& e = of_type(type);
    if (sink == "jsonl") {
      REQUIRE(doc["timestamp"].is_number_integer());
      delivered_at[type] = doc["timestamp"].get<int64_t>();
      CHECK(json::parse(jsonl_line(e, delivered_at[type])) == doc);
    } else if (sink == "webhook") {
      REQUIRE(delivered_at.count(type) == 1); // shown after its JSONL line, at the same time
      auto r = webhook_request("https://app.example/hook", {"whsec_AAAA"}, e, delivered_at[type]);
      CHECK(json::parse(r.body) == doc);
    } else if (sink == "micropub" && type == "media.updated") {
      auto url = doc["url"].get<std::string>();
      CHECK(json::parse(micropub_update_request("u", "t", e, url, micropub_media_of(e)).body)
            == doc);
    } else if (sink == "micropub" && type == "media.deleted") {
      CHECK(json::parse(micropub_delete_request("u", "t", doc["url"].get<std::string>()).body)
            == doc);
    } else {
      FAIL("an example of no known form: " << what);
    }
    shown.insert(what);
  }
  for (auto t : all_event_types) {
    CHECK(shown.count(std::string("jsonl:") + to_string(t)) == 1);
    CHECK(shown.count(std::string("webhook:") + to_string(t)) == 1);
  }
  CHECK(shown.count("micropub:media.updated") == 1);
  CHECK(shown.count("micropub:media.deleted") == 1);
}
