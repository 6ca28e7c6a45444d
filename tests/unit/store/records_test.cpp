#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "igbridge/records.hpp"

using namespace igbridge;
using nlohmann::json;

namespace {

user_record sample_user() {
  user_record r;
  r.user = "alice";
  r.state = user_state::active;
  r.instagram_user_id = "17841400000000000";
  r.username = "alice.eats";
  r.linked_at = 1795178096;
  r.last_fetch_at = 1795178100;
  r.next_fetch_at = 1795179000;
  r.poll_tier = 2;
  r.imported = 42;
  r.token_expires_at = 1800362096;
  r.token_issued_at = 1795178096;
  r.last_error = "rate limited";
  r.token = "v1.c2VhbGVk";
  r.initial_fetch_done = true;
  r.fetch_failures = 3;
  r.recent_imports = {1795000000, 1795100000};
  r.app_scoped_id = "9001";
  r.refresh_at = 1797000000;
  r.scheduled_at = 1795179000;
  r.seen_count = 17;
  r.rules = user_rules{{"soup"}, {"nofood"}};
  return r;
}

} // namespace

TEST_CASE("user_record round trips", "[records]") {
  auto r = sample_user();
  auto bytes = encode(r);
  CHECK(bytes.find('\n') == std::string::npos); // compact
  auto d = decode_user(bytes);
  REQUIRE(d);
  CHECK(d->user == r.user);
  CHECK(d->linked() == r.linked());
  CHECK(d->state == r.state);
  CHECK(d->app_scoped_id == r.app_scoped_id);
  CHECK(d->refresh_at == r.refresh_at);
  CHECK(d->scheduled_at == r.scheduled_at);
  CHECK(d->seen_count == r.seen_count);
  REQUIRE(d->rules);
  CHECK(d->rules->tags == std::vector<std::string>{"soup"});
  CHECK(d->rules->block == std::vector<std::string>{"nofood"});
  CHECK(d->instagram_user_id == r.instagram_user_id);
  CHECK(d->username == r.username);
  CHECK(d->linked_at == r.linked_at);
  CHECK(d->last_fetch_at == r.last_fetch_at);
  CHECK(d->next_fetch_at == r.next_fetch_at);
  CHECK(d->poll_tier == r.poll_tier);
  CHECK(d->imported == r.imported);
  CHECK(d->token_expires_at == r.token_expires_at);
  CHECK(d->token_issued_at == r.token_issued_at);
  CHECK(d->last_error == r.last_error);
  CHECK(d->token == r.token);
  CHECK(d->initial_fetch_done == r.initial_fetch_done);
  CHECK(d->fetch_failures == r.fetch_failures);
  CHECK(d->recent_imports == r.recent_imports);
  CHECK(encode(*d) == bytes);
}

TEST_CASE("decode_user fills defaults for missing fields", "[records]") {
  auto d = decode_user(R"({"user":"bob"})");
  REQUIRE(d);
  CHECK(d->user == "bob");
  CHECK_FALSE(d->linked());
  CHECK(d->state == user_state::unlinked);
  CHECK(d->recent_imports.empty());
  CHECK_FALSE(d->rules);
}

TEST_CASE("decode rejects garbage without throwing", "[records]") {
  for (std::string bad : {std::string(), std::string("not json"), std::string("{"),
                          std::string("[]"), std::string("42"), std::string("null"),
                          std::string("{}"), std::string("{\"user\":\"\xff\"}"),
                          std::string("\0\0\0", 3)}) {
    INFO(bad);
    CHECK_NOTHROW(decode_user(bad));
    CHECK_FALSE(decode_user(bad));
    CHECK_FALSE(decode_outbox(bad));
    CHECK_FALSE(decode_oauth_state(bad));
    CHECK_FALSE(decode_hint(bad));
  }
  SECTION("fields of the wrong type") {
    for (std::string bad : {std::string("{\"user\":1}"),
                            std::string("{\"user\":\"a\",\"state\":\"sleeping\"}"),
                            std::string("{\"user\":\"a\",\"rules\":{\"tags\":[1]}}"),
                            std::string("{\"user\":\"a\",\"imported\":-1}"),
                            std::string("{\"user\":\"a\",\"poll_tier\":1.5}"),
                            std::string("{\"user\":\"a\",\"poll_tier\":99999999999}"),
                            std::string("{\"user\":\"a\",\"recent_imports\":[1,\"x\"]}")}) {
      INFO(bad);
      CHECK_FALSE(decode_user(bad));
    }
    CHECK_FALSE(decode_outbox(R"({"id":"x","attempts":"3"})"));
    CHECK_FALSE(decode_outbox(R"({"id":"x","seq":-1})"));
    CHECK_FALSE(decode_hint(R"({"first_due":"soon"})"));
    CHECK_FALSE(decode_oauth_state(R"({"user":"a","expires_at":null})"));
  }
}

TEST_CASE("public_view of a user has the DESIGN shape and no token", "[records]") {
  auto v = public_view(sample_user());
  const std::vector<std::string> keys{"user",          "linked",        "state",
                                      "instagram_user_id", "app_scoped_id", "username",
                                      "linked_at",     "last_fetch_at", "next_fetch_at",
                                      "poll_tier",     "imported",      "token_expires_at",
                                      "held_until",    "fetch_failures", "last_error",
                                      "rules",         "backfill"};
  CHECK(v.size() == keys.size());
  for (const auto& k : keys) {
    INFO(k);
    CHECK(v.contains(k));
  }
  CHECK(v.dump().find("c2VhbGVk") == std::string::npos);
  CHECK(v["linked_at"] == "2026-11-20T12:34:56Z");
  CHECK(v["poll_tier"] == 2);
  CHECK(v["imported"] == 42);
  CHECK(v["linked"] == true);
  CHECK(v["rules"]["tags"][0] == "soup");

  user_record fresh;
  fresh.user = "new";
  auto f = public_view(fresh);
  CHECK(f["linked_at"].is_null());
  CHECK(f["next_fetch_at"].is_null());
  CHECK(f["token_expires_at"].is_null());
  CHECK(f["state"] == "unlinked");
  CHECK(f["rules"].is_null());
}

TEST_CASE("import_record has the DESIGN shape", "[records]") {
  media_item m;
  m.id = "18000000000000001";
  m.caption = "Lunch #eatdifferent";
  m.tags = {"eatdifferent"};
  m.media_type = "IMAGE";
  m.media_url = "https://cdn.example/1.jpg";
  m.permalink = "https://www.instagram.com/p/abc/";
  m.taken_at = "2026-11-20T12:00:00Z";
  auto j = import_record("alice", "1784", m, 1795178096);
  CHECK(j["id"] == "instagram:18000000000000001");
  CHECK(j["user"] == "alice");
  CHECK(j["instagram_user_id"] == "1784");
  CHECK(j["media_id"] == m.id);
  CHECK(j["caption"] == m.caption);
  CHECK(j["tags"] == json::array({"eatdifferent"}));
  CHECK(j["media_type"] == "IMAGE");
  CHECK(j["media_url"] == m.media_url);
  CHECK(j["permalink"] == m.permalink);
  CHECK(j["taken_at"] == m.taken_at);
  CHECK(j["imported_at"] == "2026-11-20T12:34:56Z");
  CHECK_FALSE(j.contains("thumbnail_url"));
  CHECK(j.size() == 11);

  m.media_type = "VIDEO";
  m.thumbnail_url = "https://cdn.example/1-thumb.jpg";
  CHECK(import_record("alice", "1784", m, 1)["thumbnail_url"] == m.thumbnail_url);
}

TEST_CASE("import_record carries a carousel's children in order", "[records]") {
  media_item m;
  m.id = "1";
  m.media_type = "CAROUSEL_ALBUM";
  for (auto id : {"a", "b", "c"}) {
    m.children.push_back({id, "IMAGE", std::string("https://cdn.example/") + id + ".jpg", ""});
  }
  m.children[2] = {"c", "VIDEO", "https://cdn.example/c.mp4", "https://cdn.example/c.jpg"};
  auto j = import_record("alice", "1784", m, 1);
  REQUIRE(j["children"].size() == 3);
  CHECK(j["children"][0]["id"] == "a");
  CHECK(j["children"][2]["media_type"] == "VIDEO");
  CHECK(j["children"][2]["thumbnail_url"] == "https://cdn.example/c.jpg");
  CHECK_FALSE(j["children"][0].contains("thumbnail_url"));
}

TEST_CASE("outbox entries queued as JSON by earlier versions are still read", "[records]") {
  auto d = decode_outbox(
    R"({"seq":12,"type":"media.imported","id":"instagram:1","user":"alice",)"
    R"("data":"{\"id\":\"instagram:1\"}","attempts":2,"created_at":1795178096,)"
    R"("next_attempt_at":1795178396,"last_error":"HTTP 503"})");
  REQUIRE(d);
  CHECK(d->seq == 12);
  CHECK(d->data == R"({"id":"instagram:1"})");
  CHECK(d->attempts == 2);
  CHECK(d->last_error == "HTTP 503");
  // Written back in the current form, it reads the same.
  auto again = decode_outbox(encode(*d));
  REQUIRE(again);
  CHECK(again->data == d->data);
  CHECK(again->next_attempt_at == 1795178396);
}

TEST_CASE("a truncated or padded binary outbox entry is refused", "[records]") {
  outbox_entry e;
  e.seq = 3;
  e.id = "instagram:2";
  e.user = "bob";
  e.data = "{}";
  auto bytes = encode(e);
  REQUIRE(decode_outbox(bytes));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO(n);
    CHECK_FALSE(decode_outbox(bytes.substr(0, n)));
  }
  CHECK_FALSE(decode_outbox(bytes + "x"));
  auto negative = bytes;
  negative[9] = '\xff'; // attempts < 0
  CHECK_FALSE(decode_outbox(negative));
}

TEST_CASE("outbox_entry round trips and has a public view", "[records]") {
  outbox_entry e;
  e.seq = 12;
  e.id = "instagram:18000000000000001";
  e.user = "alice";
  e.data = R"({"id":"instagram:18000000000000001","tags":["ed"]})";
  e.attempts = 2;
  e.created_at = 1795178096;
  e.next_attempt_at = 1795178396;
  e.last_error = "HTTP 503";
  auto d = decode_outbox(encode(e));
  REQUIRE(d);
  CHECK(d->seq == e.seq);
  CHECK(d->type == event_type::media_imported);
  CHECK(d->id == e.id);
  CHECK(d->user == e.user);
  CHECK(d->data == e.data);
  CHECK(d->attempts == e.attempts);
  CHECK(d->created_at == e.created_at);
  CHECK(d->next_attempt_at == e.next_attempt_at);
  CHECK(d->last_error == e.last_error);

  auto v = public_view(e);
  CHECK(v["id"] == "12");
  CHECK(v["type"] == "media.imported");
  CHECK(v["record_id"] == e.id);
  CHECK(v["user"] == "alice");
  CHECK(v["attempts"] == 2);
  CHECK(v["created_at"] == "2026-11-20T12:34:56Z");
  CHECK(v["next_attempt_at"] == "2026-11-20T12:39:56Z");
  CHECK(v["last_error"] == "HTTP 503");
  CHECK(v["data"]["tags"][0] == "ed");

  e.data = "{broken";
  CHECK(public_view(e)["data"].is_null());
}

TEST_CASE("oauth_state, hint and deletion round trip", "[records]") {
  oauth_state s{"alice", 1795178696, 1795178096, "c00k1e"};
  auto ds = decode_oauth_state(encode(s));
  REQUIRE(ds);
  CHECK(ds->user == "alice");
  CHECK(ds->expires_at == 1795178696);
  CHECK(ds->created_at == 1795178096);
  CHECK(ds->cookie == "c00k1e");

  hint h{1795178216, 1795178300, 1795178096};
  auto dh = decode_hint(encode(h));
  REQUIRE(dh);
  CHECK(dh->first_due == h.first_due);
  CHECK(dh->last_due == h.last_due);
  CHECK(dh->received_at == h.received_at);

  deletion_record d;
  d.status = deletion_status::completed;
  d.users = 2;
  d.requested_at = 10;
  d.completed_at = 11;
  auto dd = decode_deletion(encode(d));
  REQUIRE(dd);
  CHECK(dd->status == deletion_status::completed);
  CHECK(dd->users == 2);
  CHECK(public_view(*dd, "abc")["confirmation_code"] == "abc");
}

TEST_CASE("seen entries round trip in 25 bytes", "[records]") {
  seen_entry e{1795178096, 1795000000, verdict::blocked, caption_hash("Lunch #ed")};
  auto bytes = encode(e);
  CHECK(bytes.size() == 25);
  auto d = decode_seen(bytes);
  REQUIRE(d);
  CHECK(d->first_seen == e.first_seen);
  CHECK(d->taken_at == e.taken_at);
  CHECK(d->judged == verdict::blocked);
  CHECK(d->caption_hash == e.caption_hash);
  CHECK(caption_hash("Lunch #ed") != caption_hash("Lunch"));
  CHECK_FALSE(decode_seen("1795178096 imported")); // v1's text form
  auto bad = bytes;
  bad[16] = 7;
  CHECK_FALSE(decode_seen(bad));
}

TEST_CASE("seen_key joins user and media id with NUL", "[records]") {
  CHECK(seen_key("alice", "m1") == std::string("alice\0m1", 8));
  CHECK(seen_key("alice", "m1").rfind(seen_key("alice", ""), 0) == 0);
  // seen_order sorts by taken_at within a user
  CHECK(seen_order_key("alice", 5, "z") < seen_order_key("alice", 6, "a"));
  CHECK(seen_order_key("alice", 5, "z").rfind(seen_key("alice", ""), 0) == 0);
}

TEST_CASE("when keys sort by time and split back", "[records]") {
  CHECK(when_key(100, "zed") < when_key(101, "amy"));
  CHECK(when_key(-5, "a") == when_key(0, "a")); // negative clamps
  auto parts = split_when_key(when_key(1795178096, "alice"));
  REQUIRE(parts);
  CHECK(parts->first == 1795178096);
  CHECK(parts->second == "alice");
  CHECK_FALSE(split_when_key("short"));
  CHECK(due_key(5, 2) < due_key(5, 10));
  CHECK(due_key(5, 99) < due_key(6, 1));
}

TEST_CASE("a burst of hints is one fetch, discharged only from its due time", "[records]") {
  const int64_t delay = 3;
  // Hints at t, t+1 and t+2: due t+3..t+5, fetched once, at t+5.
  auto h = add_hint(std::nullopt, 100, delay);
  h = add_hint(h, 101, delay);
  h = add_hint(h, 102, delay);
  CHECK(h.first_due == 103);
  CHECK(h.last_due == 105);
  CHECK(h.received_at == 102);
  CHECK(hint_fetch_at(h, delay) == 105);
  // A fetch that started before the due time discharges nothing.
  auto left = after_fetch(h, 101);
  REQUIRE(left);
  CHECK(hint_fetch_at(*left, delay) == 105);
  // One that started at the last due time discharges all of them.
  CHECK_FALSE(after_fetch(h, 105));
  // A fetch between the first and the last due time leaves the later ones.
  left = after_fetch(h, 104);
  REQUIRE(left);
  CHECK(left->first_due == 105);
  CHECK(hint_fetch_at(*left, delay) == 105);
}

TEST_CASE("a steady stream of hints cannot postpone the fetch for ever", "[records]") {
  const int64_t delay = 10;
  auto h = add_hint(std::nullopt, 0, delay);
  for (int64_t t = 1; t < 100; ++t) {
    h = add_hint(h, t, delay);
  }
  // First due at 10: fetched no later than one delay after that.
  CHECK(hint_fetch_at(h, delay) == 20);
}
