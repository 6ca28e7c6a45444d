#include "igbridge/provider.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "igbridge/urls.hpp"

#include <nlohmann/json.hpp>

using namespace igbridge;

namespace {

std::string sample(const std::string& name) {
  std::ifstream in(std::string(IGBRIDGE_SAMPLES_DIR) + "/" + name, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

config graph_config() {
  config c;
  c.instagram.client_id = "123";
  c.instagram.client_secret = "app-secret";
  c.instagram.authorize_url = "https://www.instagram.com/oauth/authorize";
  c.instagram.token_url = "https://api.instagram.com/oauth/access_token";
  c.instagram.graph_url = "https://graph.instagram.com";
  return c;
}

config legacy_config() {
  config c = graph_config();
  c.instagram.dialect = "legacy";
  c.instagram.authorize_url = "https://api.instagram.com/oauth/authorize";
  c.instagram.api_url = "https://api.instagram.com/v1";
  return c;
}

params query_of(const std::string& url) {
  auto q = url.find('?');
  REQUIRE(q != std::string::npos);
  return parse_query(url.substr(q + 1));
}

http_response answer(int status, std::string body, header_list headers = {}) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

} // namespace

// -- requests -------------------------------------------------------------

TEST_CASE("authorize URLs of both dialects", "[provider]") {
  auto g = authorize_url(graph_config(), "https://ig.example/cb?x=1", "st");
  CHECK(g.rfind("https://www.instagram.com/oauth/authorize?", 0) == 0);
  auto q = query_of(g);
  CHECK(param(q, "client_id") == "123");
  CHECK(param(q, "redirect_uri") == "https://ig.example/cb?x=1");
  CHECK(param(q, "response_type") == "code");
  CHECK(param(q, "scope") == "instagram_business_basic");
  CHECK(param(q, "state") == "st");
  auto l = authorize_url(legacy_config(), "https://ig.example/cb", "st");
  CHECK(l.rfind("https://api.instagram.com/oauth/authorize?", 0) == 0);
  CHECK(param(query_of(l), "scope") == "basic");
}

TEST_CASE("code exchange is a form POST and drops a trailing #_", "[provider]") {
  auto r = code_exchange_request(graph_config(), "https://ig.example/cb", "AQD-code#_");
  CHECK(r.method == "POST");
  CHECK(r.url == "https://api.instagram.com/oauth/access_token");
  CHECK(header_value(r.headers, "content-type") == "application/x-www-form-urlencoded");
  auto form = parse_query(r.body);
  CHECK(param(form, "client_id") == "123");
  CHECK(param(form, "client_secret") == "app-secret");
  CHECK(param(form, "grant_type") == "authorization_code");
  CHECK(param(form, "redirect_uri") == "https://ig.example/cb");
  CHECK(param(form, "code") == "AQD-code");
  auto plain = code_exchange_request(graph_config(), "https://ig.example/cb", "abc");
  CHECK(param(parse_query(plain.body), "code") == "abc");
}

TEST_CASE("graph token and media requests", "[provider]") {
  auto c = graph_config();
  auto ll = long_lived_request(c, "short tok");
  CHECK(ll.method == "GET");
  CHECK(ll.url.rfind("https://graph.instagram.com/access_token?", 0) == 0);
  auto q = query_of(ll.url);
  CHECK(param(q, "grant_type") == "ig_exchange_token");
  CHECK(param(q, "client_secret") == "app-secret");
  CHECK(param(q, "access_token") == "short tok");

  auto rf = refresh_request(c, "tok");
  CHECK(rf.url.rfind("https://graph.instagram.com/refresh_access_token?", 0) == 0);
  CHECK(param(query_of(rf.url), "grant_type") == "ig_refresh_token");
  CHECK(param(query_of(rf.url), "access_token") == "tok");

  // The token endpoints are documented unversioned; the rest carries a version.
  auto me = me_request(c, "tok");
  CHECK(me.url.rfind("https://graph.instagram.com/v23.0/me?", 0) == 0);
  CHECK(param(query_of(me.url), "fields") == "user_id,username");

  auto media = media_request(c, "tok", "ignored", 20);
  CHECK(media.url.rfind("https://graph.instagram.com/v23.0/me/media?", 0) == 0);
  auto mq = query_of(media.url);
  CHECK(param(mq, "fields") ==
        "id,caption,media_type,media_url,permalink,thumbnail_url,timestamp,username,"
        "children{id,media_type,media_url,thumbnail_url}");
  c.instagram.graph_version.clear();
  CHECK(media_request(c, "tok", "x", 1).url.rfind("https://graph.instagram.com/me/media?", 0) == 0);
  CHECK(param(mq, "limit") == "20");
  CHECK(param(mq, "access_token") == "tok");

  CHECK(next_page_request("https://graph.instagram.com/next?x").url ==
        "https://graph.instagram.com/next?x");

  // A post read again for fresh CDN URLs (DESIGN §9 "Media re-read").
  auto node = media_node_request(c, "tok", "17890");
  CHECK(node.url.rfind("https://graph.instagram.com/17890?", 0) == 0); // graph_version cleared above
  CHECK(param(query_of(node.url), "fields")
        == "media_url,thumbnail_url,children{media_url,thumbnail_url}");
  CHECK(param(query_of(node.url), "access_token") == "tok");
}

TEST_CASE("a post read again: its URLs and its children's", "[provider]") {
  auto m = parse_media_node(R"({"media_url":"https://cdn/a.jpg?oe=1","id":"17890",
    "children":{"data":[{"media_url":"https://cdn/c1.jpg","id":"1"},
                        {"thumbnail_url":"https://cdn/c2.jpg","media_url":"https://cdn/c2.mp4","id":"2"}]}})");
  REQUIRE(m);
  CHECK(m->id == "17890");
  CHECK(m->media_url == "https://cdn/a.jpg?oe=1");
  CHECK(m->thumbnail_url.empty());
  REQUIRE(m->children.size() == 2);
  CHECK(m->children[1].id == "2");
  CHECK(m->children[1].media_url == "https://cdn/c2.mp4");
  CHECK(m->children[1].thumbnail_url == "https://cdn/c2.jpg");
  auto video = parse_media_node(R"({"media_url":"https://cdn/v.mp4","thumbnail_url":"https://cdn/t.jpg","id":"5"})");
  REQUIRE(video);
  CHECK(video->thumbnail_url == "https://cdn/t.jpg");
  CHECK(!parse_media_node(R"({"media_url":"https://cdn/a.jpg"})")); // no id: not a node
  CHECK(!parse_media_node("<html>"));
}

TEST_CASE("legacy media request", "[provider]") {
  auto r = media_request(legacy_config(), "tok", "1574083", 3);
  CHECK(r.method == "GET");
  CHECK(r.url.rfind("https://api.instagram.com/v1/users/1574083/media/recent?", 0) == 0);
  auto q = query_of(r.url);
  CHECK(param(q, "access_token") == "tok");
  CHECK(param(q, "count") == "3");
}

// -- answers ----------------------------------------------------------------

TEST_CASE("code exchange answers: graph list, graph flat, legacy", "[provider]") {
  auto list = parse_code_exchange(dialect::graph, sample("graph_token.json"));
  REQUIRE(list);
  CHECK(list->access_token == "IGAAT3example-short-lived-token");
  CHECK(list->user_id == "17841400000000001");

  auto flat = parse_code_exchange(
      dialect::graph, R"({"access_token":"t","user_id":17841400000000001,"permissions":["x"]})");
  REQUIRE(flat);
  CHECK(flat->user_id == "17841400000000001");

  auto legacy = parse_code_exchange(dialect::legacy, sample("legacy_token.json"));
  REQUIRE(legacy);
  CHECK(legacy->access_token == "1574083.f59def8.47a0479900504cb3ab4a1f626d174d2d");
  CHECK(legacy->user_id == "1574083");
  CHECK(legacy->username == "alice_cooks");
  CHECK(legacy->expires_in == 0);

  CHECK_FALSE(parse_code_exchange(dialect::graph, R"({"data":[]})"));
  CHECK_FALSE(parse_code_exchange(dialect::graph, R"({"data":"x"})"));
  CHECK_FALSE(parse_code_exchange(dialect::graph, R"({"access_token":"t"})"));
  CHECK_FALSE(parse_code_exchange(dialect::graph, R"({"access_token":1,"user_id":"1"})"));
  CHECK_FALSE(parse_code_exchange(dialect::graph, "[]"));
  CHECK_FALSE(parse_code_exchange(dialect::graph, "not json"));
  CHECK_FALSE(parse_code_exchange(dialect::legacy, R"({"access_token":"t","user":"1"})"));
}

TEST_CASE("long-lived token and /me", "[provider]") {
  auto ll = parse_long_lived(sample("graph_long_lived_token.json"));
  REQUIRE(ll);
  CHECK(ll->access_token == "IGAAT3example-long-lived-token");
  CHECK(ll->expires_in == 5183944);
  CHECK_FALSE(parse_long_lived(R"({"token_type":"bearer"})"));
  CHECK_FALSE(parse_long_lived("[1]"));

  // /me names both ids: the professional one (webhooks) and the app-scoped
  // one (signed_requests). They differ, and both are kept.
  token_grant g;
  g.user_id = "from-the-exchange";
  REQUIRE(parse_me(sample("graph_me.json"), g));
  CHECK(g.user_id == "17841400000000001");
  CHECK(g.app_scoped_id == "26953715872361804");
  CHECK(g.username == "alice.cooks");
  token_grant h;
  REQUIRE(parse_me(R"({"id":42,"username":"bob"})", h));
  CHECK(h.user_id == "42");
  CHECK_FALSE(parse_me(R"({"username":"bob"})", h));
  // Documented wrapped in data[] (DESIGN 9).
  token_grant w;
  REQUIRE(parse_me(R"({"data":[{"id":"26953715872361804","user_id":17841400000000001,"username":"carol"}]})", w));
  CHECK(w.user_id == "17841400000000001");
  CHECK(w.app_scoped_id == "26953715872361804");
  CHECK(w.username == "carol");
  CHECK_FALSE(parse_me("nope", h));
}

TEST_CASE("graph media page with a carousel and videos", "[provider]") {
  auto page = parse_media_page(dialect::graph, sample("graph_me_media_children.json"));
  REQUIRE(page);
  REQUIRE(page->items.size() == 4);
  const auto& carousel = page->items[0];
  CHECK(carousel.media_type == "CAROUSEL_ALBUM");
  REQUIRE(carousel.children.size() == 3);
  CHECK(carousel.children[0].id == "17918195224117851");
  CHECK(carousel.children[2].media_url.find("tapas_3.jpg") != std::string::npos);
  const auto& video = page->items[1];
  CHECK(video.media_type == "VIDEO");
  CHECK(video.thumbnail_url.find("knife_thumb.jpg") != std::string::npos);
  CHECK(video.media_url.find("knife.mp4") != std::string::npos);
  CHECK(page->items[2].media_url.empty()); // media_url may be absent
  CHECK(page->items[3].caption.empty());   // listed before its caption
}

TEST_CASE("rate-limit and error samples classify as documented", "[provider]") {
  auto headers = nlohmann::json::parse(sample("graph_rate_limit_headers.json"), nullptr, false);
  REQUIRE(headers.is_object());
  auto list = [&](const char* which) {
    header_list out;
    for (auto& [k, v] : headers[which].items()) {
      out.emplace_back(k, v.get<std::string>());
    }
    return out;
  };
  auto normal = read_usage(answer(200, "{}", list("normal")));
  CHECK(normal.app_wait_s == 0);
  CHECK(normal.account_wait_s == 0);
  CHECK(read_usage(answer(200, "{}", list("app_limited"))).app_wait_s == 60);
  CHECK(read_usage(answer(200, "{}", list("account_limited"))).account_wait_s == 420);
  auto buc = classify(answer(400, sample("graph_error_80002.json"), list("account_limited")));
  CHECK(buc.kind == provider_failure::rate_limited);
  CHECK(buc.scope == rate_scope::account);
  CHECK(buc.retry_after_s == 420);
  auto app = classify(answer(403, sample("graph_error_app_rate_limit.json"), list("app_limited")));
  CHECK(app.kind == provider_failure::rate_limited);
  CHECK(app.scope == rate_scope::app);
  CHECK(classify(answer(400, sample("graph_error_10.json"))).kind == provider_failure::permission);
}

TEST_CASE("graph media page", "[provider]") {
  auto page = parse_media_page(dialect::graph, sample("graph_me_media.json"));
  REQUIRE(page);
  REQUIRE(page->items.size() == 3);
  const auto& a = page->items[0];
  CHECK(a.id == "17895695668004550");
  CHECK(a.caption == "Lentil soup for lunch #eatdifferent #homemade");
  CHECK(a.tags == std::vector<std::string>{"eatdifferent", "homemade"});
  CHECK(a.media_type == "IMAGE");
  CHECK(a.permalink == "https://www.instagram.com/p/C0lentil01/");
  CHECK(a.taken_at == "2026-11-20T12:34:56Z");
  CHECK(a.username == "alice.cooks");
  CHECK(page->items[1].thumbnail_url ==
        "https://scontent.cdninstagram.com/v/t51.29350-15/run_thumb.jpg");
  CHECK(page->items[1].tags.empty());
  CHECK(page->items[2].caption.empty()); // no caption at all
  CHECK(page->items[2].media_type == "CAROUSEL_ALBUM");
  CHECK(page->next_url.find("after=QVFIUmExampleAfter") != std::string::npos);

  auto last = parse_media_page(dialect::graph, R"({"data":[{"caption":"no id"},{"id":"1"}],"paging":{}})");
  REQUIRE(last);
  REQUIRE(last->items.size() == 1);
  CHECK(last->next_url.empty());
  CHECK_FALSE(parse_media_page(dialect::graph, R"({"data":{}})"));
  CHECK_FALSE(parse_media_page(dialect::graph, R"([])"));
  CHECK_FALSE(parse_media_page(dialect::graph, "<html>"));
}

TEST_CASE("legacy media page", "[provider]") {
  auto page = parse_media_page(dialect::legacy, sample("legacy_media_recent.json"));
  REQUIRE(page);
  REQUIRE(page->items.size() == 2);
  const auto& a = page->items[0];
  CHECK(a.id == "22699663_1574083");
  CHECK(a.caption == "Quinoa salad #eatdifferent #lunch");
  CHECK(a.tags == std::vector<std::string>{"eatdifferent", "lunch"});
  CHECK(a.media_type == "IMAGE");
  CHECK(a.media_url == "http://distilleryimage1.instagram.com/quinoa_7.jpg");
  CHECK(a.thumbnail_url == "http://distilleryimage1.instagram.com/quinoa_5.jpg");
  CHECK(a.permalink == "http://instagr.am/p/JOxIXbAAAA/");
  CHECK(a.taken_at == "2012-04-10T15:20:00Z");
  CHECK(a.username == "alice_cooks");
  const auto& b = page->items[1];
  CHECK(b.caption.empty()); // caption: null
  CHECK(b.tags.empty());
  CHECK(page->next_url ==
        "https://api.instagram.com/v1/users/1574083/media/recent?access_token=1574083.f59def8."
        "47a04799&count=2&max_id=22699660_1574083");
  CHECK_FALSE(parse_media_page(dialect::legacy, R"({"meta":{"code":200},"data":null})"));
}

// -- classify ---------------------------------------------------------------

TEST_CASE("classify: success and transport", "[provider]") {
  CHECK(classify(answer(200, sample("graph_me_media.json"))).kind == provider_failure::none);
  CHECK(classify(answer(200, sample("legacy_media_recent.json"))).kind == provider_failure::none);
  auto t = classify(answer(0, ""));
  CHECK(t.kind == provider_failure::transport);
  CHECK(std::string(to_string(t.kind)) == "transport");
}

TEST_CASE("classify: graph errors", "[provider]") {
  auto invalid = classify(answer(400, sample("graph_error_190.json")));
  CHECK(invalid.kind == provider_failure::token_invalid);
  CHECK(invalid.code == 190);
  for (int code : {4, 17, 32, 613}) {
    auto e = classify(answer(400, R"({"error":{"message":"limit","code":)" +
                                      std::to_string(code) + "}}"));
    INFO(code);
    CHECK(e.kind == provider_failure::rate_limited);
  }
  auto limit = classify(answer(403, sample("graph_error_rate_limit.json"), {{"Retry-After", "120"}}));
  CHECK(limit.kind == provider_failure::rate_limited);
  CHECK(limit.retry_after_s == 120);
  CHECK(classify(answer(400, R"({"error":{"message":"bad code","code":100}})")).kind ==
        provider_failure::denied);
}

TEST_CASE("classify: transient errors on any status (DESIGN 9)", "[provider]") {
  // Meta's temporary codes, on the HTTP 400 it often sends them with and
  // on a 5xx: retried, never taken as a refusal.
  for (int status : {400, 403, 500, 502, 503}) {
    for (int code : {1, 2, 341, 368, -1, -2}) {
      auto e = classify(answer(status, R"({"error":{"message":"try later","type":"OAuthException","code":)"
                                         + std::to_string(code) + "}}"));
      INFO("status " << status << " code " << code);
      CHECK(e.kind == provider_failure::transient);
      CHECK(e.code == code);
      CHECK(retryable(e.kind));
    }
  }
  // is_transient on a code nobody listed.
  auto marked = classify(answer(400, R"({"error":{"message":"x","code":9999,"is_transient":true}})"));
  CHECK(marked.kind == provider_failure::transient);
  CHECK(classify(answer(400, R"({"error":{"message":"x","code":9999,"is_transient":false}})")).kind
        == provider_failure::denied);
  CHECK(classify(answer(400, R"({"error":{"message":"x","code":9999}})")).kind
        == provider_failure::denied);
  // Rate limits and token errors keep their meaning even when marked.
  auto buc = classify(answer(400, R"({"error":{"message":"x","code":17,"is_transient":true}})"));
  CHECK(buc.kind == provider_failure::rate_limited);
  CHECK(buc.scope == rate_scope::account);
  CHECK(classify(answer(400, R"({"error":{"message":"x","code":190,"is_transient":true}})")).kind
        == provider_failure::token_invalid);
  // 5xx and the network are retryable; a refusal is not.
  CHECK(retryable(provider_failure::server));
  CHECK(retryable(provider_failure::transport));
  CHECK_FALSE(retryable(provider_failure::denied));
  CHECK_FALSE(retryable(provider_failure::rate_limited));
  CHECK_FALSE(retryable(provider_failure::token_invalid));
  CHECK(std::string(to_string(provider_failure::transient)) == "transient");
}

TEST_CASE("classify: legacy errors", "[provider]") {
  CHECK(classify(answer(400, sample("legacy_error.json"))).kind == provider_failure::token_invalid);
  CHECK(classify(answer(400, R"({"meta":{"error_type":"OAuthRateLimitException","code":429}})"))
            .kind == provider_failure::rate_limited);
  CHECK(classify(answer(400, R"({"meta":{"code":429}})")).kind == provider_failure::rate_limited);
  // the OAuth endpoints answer flat
  CHECK(classify(answer(400, R"({"error_type":"OAuthException","code":400,"error_message":"bad"})"))
            .kind == provider_failure::denied);
}

TEST_CASE("classify: HTTP status and headers", "[provider]") {
  auto r429 = classify(answer(429, "", {{"retry-after", "30"}}));
  CHECK(r429.kind == provider_failure::rate_limited);
  CHECK(r429.retry_after_s == 30);
  CHECK(classify(answer(503, "<html>")).kind == provider_failure::server);
  CHECK(classify(answer(500, R"({"error":{"message":"x","code":2}})")).kind ==
        provider_failure::transient);
  CHECK(classify(answer(500, R"({"error":{"message":"x","code":100}})")).kind ==
        provider_failure::server);
  CHECK(classify(answer(404, "not found")).kind == provider_failure::denied);
  CHECK(classify(answer(200, "<html>")).kind == provider_failure::malformed);
  // A successful answer is used, whatever the usage headers say; they only
  // advise holding off before the provider refuses.
  auto busy = answer(200, "{}", {{"X-App-Usage",
                                  R"({"call_count":80,"total_time":10,"total_cputime":5})"}});
  CHECK(classify(busy).kind == provider_failure::none);
  CHECK(read_usage(busy).app_wait_s == 60);
  CHECK(read_usage(answer(200, "{}", {{"X-App-Usage", R"({"call_count":74,"total_time":75})"}}))
          .app_wait_s == 60);
  CHECK(read_usage(answer(200, "{}", {{"X-App-Usage", R"({"call_count":74,"total_time":10})"}}))
          .app_wait_s == 0);
  CHECK(read_usage(answer(200, "{}", {{"X-App-Usage", "garbage"}})).app_wait_s == 0);
}

TEST_CASE("classify: app and account rate limits, permissions", "[provider]") {
  // App level: code 4 on a 403 with X-App-Usage; everyone holds.
  auto app = classify(answer(403, R"({"error":{"message":"Application request limit reached","code":4}})",
                             {{"X-App-Usage", R"({"call_count":100,"total_time":20,"total_cputime":20})"}}));
  CHECK(app.kind == provider_failure::rate_limited);
  CHECK(app.scope == rate_scope::app);
  CHECK(app.retry_after_s == 60);
  // Business Use Case: code 80002 with the account's estimate (minutes).
  auto buc = classify(answer(400, R"({"error":{"message":"too many calls","code":80002}})",
                             {{"X-Business-Use-Case-Usage",
                               R"({"1784":[{"type":"instagram","call_count":100,"total_cputime":4,"total_time":5,"estimated_time_to_regain_access":7}]})"}}));
  CHECK(buc.kind == provider_failure::rate_limited);
  CHECK(buc.scope == rate_scope::account);
  CHECK(buc.retry_after_s == 420);
  for (int code : {32, 613, 17}) {
    INFO(code);
    auto e = classify(answer(400, R"({"error":{"message":"x","code":)" + std::to_string(code) + "}}"));
    CHECK(e.kind == provider_failure::rate_limited);
    CHECK(e.scope == rate_scope::account);
  }
  // No Retry-After in the graph API: an absurd estimate is capped at a day.
  auto huge = read_usage(answer(200, "{}", {{"X-Business-Use-Case-Usage",
                                             R"({"1":[{"estimated_time_to_regain_access":1e12}]})"}}));
  CHECK(huge.account_wait_s == 86400);
  // Permissions: re-link, not back off.
  CHECK(classify(answer(400, R"({"error":{"message":"x","code":10}})")).kind ==
        provider_failure::permission);
  CHECK(classify(answer(403, R"({"error":{"message":"x","code":200}})")).kind ==
        provider_failure::permission);
  CHECK(classify(answer(403, R"({"error":{"message":"x","code":299}})")).kind ==
        provider_failure::permission);
  CHECK(classify(answer(400, R"({"error":{"message":"x","code":100}})")).kind ==
        provider_failure::denied);
}

TEST_CASE("next-page URLs are followed only to the provider's origin", "[provider]") {
  CHECK(same_origin("https://graph.instagram.com/v23.0/1/media?after=x",
                    "https://graph.instagram.com"));
  CHECK(same_origin("https://GRAPH.instagram.com:443/x", "https://graph.instagram.com"));
  CHECK_FALSE(same_origin("https://evil.example/x?access_token=", "https://graph.instagram.com"));
  CHECK_FALSE(same_origin("http://graph.instagram.com/x", "https://graph.instagram.com"));
  CHECK_FALSE(same_origin("https://graph.instagram.com:8443/x", "https://graph.instagram.com"));
  CHECK_FALSE(same_origin("javascript:alert(1)", "https://graph.instagram.com"));
}

TEST_CASE("classify never echoes a token", "[provider]") {
  auto e = classify(answer(400, R"({"error":{"message":"bad https://x/?access_token=SECRET123&a=b","code":100}})"));
  CHECK(e.message.find("SECRET123") == std::string::npos);
  http_response t;
  t.error = "connect to https://graph.instagram.com/me?access_token=SECRET123 failed";
  CHECK(classify(t).message.find("SECRET123") == std::string::npos);
}
