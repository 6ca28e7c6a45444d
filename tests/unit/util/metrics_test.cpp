#include <catch2/catch.hpp>

#include "igbridge/metrics.hpp"

using namespace igbridge;

TEST_CASE("counters render with help and type; unknown label values fold into other",
          "[metrics]") {
  metrics m;
  m.inc("igbridge_fetches_total", {{"outcome", "ok"}});
  m.inc("igbridge_fetches_total", {{"outcome", "ok"}}, 2);
  m.inc("igbridge_fetches_total", {{"outcome", "say \"hi\"\n"}});
  m.inc("igbridge_fetches_total", {{"outcome", "anything else"}});
  auto text = m.render();
  CHECK(text.find("# TYPE igbridge_fetches_total counter\n") != std::string::npos);
  CHECK(text.find("# HELP igbridge_fetches_total ") != std::string::npos);
  CHECK(text.find("igbridge_fetches_total{outcome=\"ok\"} 3\n") != std::string::npos);
  CHECK(text.find("igbridge_fetches_total{outcome=\"other\"} 2\n") != std::string::npos);
  CHECK(text.find("hi") == std::string::npos);
  CHECK(m.value("igbridge_fetches_total", {{"outcome", "ok"}}) == 3);
}

TEST_CASE("the number of series is bounded whatever the labels", "[metrics]") {
  metrics m;
  auto bound = m.series_bound();
  for (int i = 0; i < 10000; ++i) {
    m.inc("igbridge_http_requests_total", {{"listener", "admin"},
                                           {"route", "/users/x" + std::to_string(i)},
                                           {"status", "s" + std::to_string(i)}});
    m.inc("igbridge_no_such_family", {{"x", std::to_string(i)}});
  }
  CHECK(m.series_bound() == bound);
  auto text = m.render();
  CHECK(text.size() < 4096);
  CHECK(text.find("igbridge_http_requests_total{listener=\"admin\",route=\"other\",status=\"other\"} 10000")
        != std::string::npos);
}

TEST_CASE("families never touched render nothing", "[metrics]") {
  metrics m;
  CHECK(m.render().find("igbridge_deliveries_total") == std::string::npos);
}

TEST_CASE("histograms are cumulative with +Inf, sum and count", "[metrics]") {
  metrics m;
  m.observe("igbridge_fetch_duration_seconds", {}, 0.003);
  m.observe("igbridge_fetch_duration_seconds", {}, 0.2);
  m.observe("igbridge_fetch_duration_seconds", {}, 100);
  auto text = m.render();
  CHECK(text.find("# TYPE igbridge_fetch_duration_seconds histogram") != std::string::npos);
  CHECK(text.find("igbridge_fetch_duration_seconds_bucket{le=\"0.005\"} 1\n")
        != std::string::npos);
  CHECK(text.find("igbridge_fetch_duration_seconds_bucket{le=\"0.25\"} 2\n")
        != std::string::npos);
  CHECK(text.find("igbridge_fetch_duration_seconds_bucket{le=\"60\"} 2\n") != std::string::npos);
  CHECK(text.find("igbridge_fetch_duration_seconds_bucket{le=\"+Inf\"} 3\n")
        != std::string::npos);
  CHECK(text.find("igbridge_fetch_duration_seconds_count 3\n") != std::string::npos);
}

TEST_CASE("recent() sums this hour's increments per label set", "[metrics]") {
  metrics m;
  m.inc("igbridge_media_total", {{"result", "imported"}}, 2);
  m.inc("igbridge_media_total", {{"result", "untagged"}}, 5);
  auto imported = m.recent("igbridge_media_total", {{"result", "imported"}}, 24);
  REQUIRE(imported.size() == 24);
  CHECK(imported.back() == 2);
  CHECK(imported.front() == 0);
}
