#include <catch2/catch.hpp>

#include "actors/request_metrics.hpp"
#include "actors/status_view.hpp"

#include "igbridge/metrics.hpp"

using namespace igbridge;

namespace {

/// A /status document as status_json() builds it, with one hostile import.
nlohmann::json sample_status() {
  nlohmann::json rec{{"user", "alice"},
                     {"caption", "<script>alert(1)</script> #ed"},
                     {"media_url", "https://cdn.example/p.jpg"},
                     {"permalink", "javascript:alert(2)"},
                     {"imported_at", "2026-11-29T00:00:00Z"}};
  return {{"version", "0.1.0"},
          {"dialect", "graph"},
          {"time", "2026-11-29T00:00:00Z"},
          {"users", {{"active", 1}, {"reauth_required", 0}, {"unlinked", 0}}},
          {"attention", nlohmann::json::array()},
          {"outbox", {{"pending", 0}, {"dead", 0}, {"oldest_age_s", 0}}},
          {"sink", {{"type", "jsonl"}, {"gone", false}}},
          {"dead_letters", nlohmann::json::array()},
          {"latest_imports", nlohmann::json::array({rec})},
          {"schedule", nlohmann::json::array()},
          {"provider", {{"throttled", false}, {"throttled_until", nullptr}}},
          {"totals",
           {{"imported", 1.0},
            {"delivered", 1.0},
            {"webhook_updates", 0.0},
            {"webhook_rejected", 0.0}}},
          {"charts",
           {{"hours", 24},
            {"imports", std::vector<double>(24, 0.0)},
            {"webhooks", std::vector<double>(24, 0.0)}}}};
}

} // namespace

TEST_CASE("the dashboard escapes provider text and refuses non-http links", "[status]") {
  context ctx;
  auto html = status_html(ctx, sample_status());
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
}
