#include <catch2/catch.hpp>

#include "ingest/request_metrics.hpp"
#include "api/status_view.hpp"

#include "igbridge/metrics.hpp"

using namespace igbridge;

namespace {

/// Figures as read_status() reads them, with one hostile import.
status_figures sample_status() {
  nlohmann::json rec{{"user", "alice"},
                     {"caption", "<script>alert(1)</script> #ed"},
                     {"media_url", "https://cdn.example/p.jpg"},
                     {"permalink", "javascript:alert(2)"},
                     {"imported_at", "2026-11-29T00:00:00Z"}};
  status_figures f;
  f.dialect = "graph";
  f.sink_type = "jsonl";
  f.now = 1'795'900'000;
  f.users = {{"active", 1}, {"reauth_required", 0}, {"unlinked", 0}};
  f.latest = nlohmann::json::array({rec});
  f.imported = 1;
  f.delivered = 1;
  f.chart_imports = std::vector<double>(24, 0.0);
  f.chart_webhooks = std::vector<double>(24, 0.0);
  return f;
}

} // namespace

TEST_CASE("the dashboard escapes provider text and refuses non-http links", "[status]") {
  auto html = status_html(sample_status());
  CHECK(html.find("<script>alert(1)") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("javascript:") == std::string::npos);
  CHECK(html.find("class=\"import\"") != std::string::npos);
  CHECK(html.find("<img class=\"thumb\" loading=\"lazy\" alt=\"\" src=\"https://cdn.example/p.jpg\"")
        != std::string::npos);
  CHECK(html.find("<svg") != std::string::npos);
  // self-contained: no external stylesheet or script
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
}

TEST_CASE("the status JSON and the dashboard show the same figures", "[status]") {
  auto f = sample_status();
  f.dead = 3;
  f.schedule = {{"bob", f.now + 60}};
  auto j = status_json(f);
  CHECK(j["users"]["active"] == 1);
  CHECK(j["outbox"]["dead"] == 3);
  CHECK(j["schedule"][0]["user"] == "bob");
  auto html = status_html(f);
  CHECK(html.find(">3<") != std::string::npos);
  CHECK(html.find(">bob<") != std::string::npos);
}

TEST_CASE("route labels fold ids so label sets stay small", "[metrics]") {
  auto pub = listener_kind::public_api;
  auto adm = listener_kind::admin_api;
  CHECK(route_label(pub, "/hooks/instagram?x=1") == "/hooks/instagram");
  CHECK(route_label(pub, "/oauth/instagram/callback?code=c&state=s")
        == "/oauth/instagram/callback");
  CHECK(route_label(pub, "/anything/else") == "other");
  CHECK(route_label(adm, "/users/alice") == "/users/{id}");
  CHECK(route_label(adm, "/users/bob/fetch") == "/users/{id}/fetch");
  CHECK(route_label(adm, "/outbox/17/replay") == "/outbox/{id}/replay");
  CHECK(route_label(adm, "/users?state=active") == "/users");
  CHECK(route_label(adm, "/nope") == "other");
  // Made-up tails do not make new labels.
  CHECK(route_label(adm, "/users/x/whatever") == "other");
  CHECK(route_label(adm, "/users/x/rules") == "/users/{id}/rules");
  CHECK(route_label(adm, "/outbox/12") == "other");
  CHECK(route_label(pub, "/media/abc.jpg") == "/media/{file}");
}
