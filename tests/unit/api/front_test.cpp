// The front actor on the test coordinator: the public routes that need
// state or another actor (subscription verification, the OAuth flow's two
// ends, the deletion status page), each answered through its responder.

#include <catch2/catch.hpp>

#include "../support/actor_fixture.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/link.hpp"

using namespace igbridge;
using namespace igbridge::test;

namespace {

struct front_fixture : actor_fixture {
  front_fixture() {
    auto c = ctx->cfg;
    c.instagram.verify_token = "verify-me";
    c.link.secret = "link-secret";
    c.link.success_url = "https://app.example/settings";
    c.link.cancel_url = "https://app.example/cancelled";
    c.instagram.authorize_url = "https://ig.example/oauth/authorize";
    c.instagram.client_id = "123";
    ctx->set_live(std::make_shared<const live_config>(c));
    ctx->cfg = c;
    start();
  }

  /// One request through the front actor; its answer.
  http_response get(const std::string& target, header_list headers = {}) {
    auto r = std::make_shared<recorded>();
    inbound in;
    in.request.method = "GET";
    in.request.target = target;
    in.request.headers = std::move(headers);
    in.reply = r;
    caf::anon_send(actors.front, std::move(in));
    run();
    REQUIRE(r->answers.size() == 1);
    return r->answers[0];
  }
};

} // namespace

TEST_CASE("subscription verification echoes the challenge only for the verify token", "[front]") {
  front_fixture f;
  auto ok = f.get("/hooks/instagram?hub.mode=subscribe&hub.challenge=4242&hub.verify_token=verify-me");
  CHECK(ok.status == 200);
  CHECK(ok.body == "4242");
  CHECK(f.get("/hooks/instagram?hub.mode=subscribe&hub.challenge=1&hub.verify_token=no").status
        == 403);
  CHECK(f.get("/hooks/instagram?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=verify-me")
          .status == 403);
}

TEST_CASE("a connect link starts a stored state; a bad one is refused", "[front]") {
  front_fixture f;
  auto exp = std::to_string(f.now + 600);
  auto sig = to_hex(hmac_sha256("link-secret", "alice." + exp));
  auto ok = f.get("/oauth/instagram/start?user=alice&exp=" + exp + "&sig=" + sig);
  CHECK(ok.status == 302);
  CHECK(header_value(ok.headers, "Location").rfind("https://ig.example/oauth/authorize", 0) == 0);
  auto cookie = header_value(ok.headers, "Set-Cookie");
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(f.read().count(db::oauth_state) == 1);
  CHECK(f.get("/oauth/instagram/start?user=alice&exp=" + exp + "&sig=00").status == 403);
  CHECK(f.get("/oauth/instagram/start?user=&exp=" + exp + "&sig=" + sig).status == 400);
  CHECK(f.read().count(db::oauth_state) == 1);
}

TEST_CASE("a cancel comes back to the app by state or cookie, else to a page", "[front]") {
  front_fixture f;
  auto exp = std::to_string(f.now + 600);
  auto sig = to_hex(hmac_sha256("link-secret", "alice." + exp));
  auto start = f.get("/oauth/instagram/start?user=alice&exp=" + exp + "&sig=" + sig);
  auto cookie = header_value(start.headers, "Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  // No state (as Meta's cancel sends it), but the attempt's cookie.
  auto back = f.get("/oauth/instagram/callback?error=access_denied&error_reason=user_denied",
                    {{"Cookie", cookie}});
  CHECK(back.status == 302);
  CHECK(header_value(back.headers, "Location")
        == "https://app.example/settings?instagram=error&reason=denied");
  CHECK(f.read().count(db::oauth_state) == 0); // the attempt is over
  // Neither state nor cookie: a page that links to cancel_url, never a 403.
  auto page = f.get("/oauth/instagram/callback?error=access_denied");
  CHECK(page.status == 200);
  CHECK(page.body.find("href=\"https://app.example/cancelled\"") != std::string::npos);
}

TEST_CASE("a callback's state must exist and match the cookie", "[front]") {
  front_fixture f;
  CHECK(f.get("/oauth/instagram/callback?code=c").status == 403);
  CHECK(f.get("/oauth/instagram/callback?code=c&state=unknown").status == 403);
  CHECK(f.get("/oauth/instagram/callback?state=s").status == 400); // no code
  CHECK(f.http.calls.empty()); // nothing was exchanged
}

TEST_CASE("unknown routes and deletion codes are 404", "[front]") {
  front_fixture f;
  CHECK(f.get("/nowhere").status == 404);
  auto unknown = f.get("/hooks/instagram/deletion?code=abc");
  CHECK(unknown.status == 404);
  CHECK(unknown.body.find("unknown confirmation code") != std::string::npos);
}
