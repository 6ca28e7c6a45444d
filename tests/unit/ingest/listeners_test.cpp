// The public listener's handler, called as the HTTP server calls it: /livez
// and webhook checks are answered on the calling thread; a verified
// webhook's hints go to the writer, whose commit answers; everything else
// goes to the front actor.

#include <catch2/catch.hpp>

#include "../support/actor_fixture.hpp"
#include "ingest/listeners.hpp"
#include "igbridge/crypto.hpp"

using namespace igbridge;
using namespace igbridge::test;

namespace {

struct listener_fixture : actor_fixture {
  listener_fixture() {
    auto c = ctx->cfg;
    c.instagram.client_secret = "ig-secret";
    c.instagram.meta_app_secret = "meta-secret";
    ctx->set_live(std::make_shared<const live_config>(c));
    start();
    routes = public_listener(ctx, actors);
  }

  http_response call(std::string method, std::string target, std::string body = {},
                     header_list headers = {}) {
    auto r = std::make_shared<recorded>();
    http_request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.body = std::move(body);
    req.headers = std::move(headers);
    routes.on_request(std::move(req), r);
    run();
    REQUIRE(r->answers.size() == 1);
    return r->answers[0];
  }

  http_server::routes routes;
};

std::string signature(const std::string& secret, const std::string& body) {
  return "sha256=" + to_hex(hmac_sha256(secret, body));
}

} // namespace

TEST_CASE("/livez answers at once", "[listener]") {
  listener_fixture f;
  CHECK(f.call("GET", "/livez").status == 200);
  CHECK(f.call("POST", "/livez").status == 405);
}

TEST_CASE("webhooks: unsigned and forged are 403, malformed 400, signed reach the writer",
          "[listener]") {
  listener_fixture f;
  std::string body = R"({"object":"instagram","entry":[{"id":"1784","changes":[]}]})";
  CHECK(f.call("POST", "/hooks/instagram", body).status == 403);
  CHECK(f.call("POST", "/hooks/instagram", body,
               {{"X-Hub-Signature-256", signature("forged", body)}})
          .status == 403);
  CHECK(f.call("POST", "/hooks/instagram", "{nope",
               {{"X-Hub-Signature-256", signature("ig-secret", "{nope")}})
          .status == 400);
  for (const char* secret : {"ig-secret", "meta-secret"}) {
    auto ok = f.call("POST", "/hooks/instagram", body,
                     {{"X-Hub-Signature-256", signature(secret, body)}});
    CHECK(ok.status == 200); // answered by the writer after its commit
    CHECK(ok.body == R"({"hinted":0,"unknown":1})");
  }
  CHECK(f.stats.value("igbridge_signature_key_total", {{"key", "meta"}}) == 1);
  CHECK(f.stats.value("igbridge_signature_key_total", {{"key", "instagram"}}) == 1);
  CHECK(f.stats.value("igbridge_webhook_updates_total", {{"result", "bad_signature"}}) == 1);
}

TEST_CASE("a webhook's head without its signature header is refused before its body",
          "[listener]") {
  listener_fixture f;
  http_request head;
  head.method = "POST";
  head.target = "/hooks/instagram";
  auto refused = f.routes.on_expect(head);
  REQUIRE(refused);
  CHECK(refused->status == 403);
  head.headers = {{"X-Hub-Signature-256", "sha256=00"}};
  CHECK_FALSE(f.routes.on_expect(head)); // checked when the body is in
  head.target = "/livez";
  CHECK_FALSE(f.routes.on_expect(head));
}

TEST_CASE("other routes go to the front actor; media names are checked", "[listener]") {
  listener_fixture f;
  CHECK(f.call("GET", "/somewhere").status == 404);
  CHECK(f.call("GET", "/media/../../etc/passwd").status >= 400);
  CHECK(f.call("GET", "/media/" + std::string(64, 'a') + ".jpg").status == 404);
}
