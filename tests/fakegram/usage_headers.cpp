/// Rate-limit usage headers as Meta's rate limiting page documents them. A
/// normal answer shows a low, constant usage; injected limits show 100.

#include "usage_headers.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace fakegram {

namespace {

constexpr int normal_percent = 1;

bool has_header(const reply& r, const std::string& name) {
  return std::any_of(r.headers.begin(), r.headers.end(), [&](const auto& h) {
    return h.first.size() == name.size()
           && std::equal(h.first.begin(), h.first.end(), name.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a))
                       == std::tolower(static_cast<unsigned char>(b));
              });
  });
}

} // namespace

std::string app_usage(int percent) {
  // CPU and wall time trail the call count, as they usually do.
  nlohmann::ordered_json j = {{"call_count", percent},
                              {"total_cputime", percent / 5},
                              {"total_time", percent / 4}};
  return j.dump();
}

std::string buc_usage(const std::string& account_id, int percent, double regain_minutes) {
  auto whole = static_cast<long long>(regain_minutes);
  auto regain = static_cast<double>(whole) == regain_minutes ? nlohmann::ordered_json(whole)
                                                             : nlohmann::ordered_json(regain_minutes);
  nlohmann::ordered_json entry = {{"type", "instagram"},
                                  {"call_count", percent},
                                  {"total_cputime", percent / 5},
                                  {"total_time", percent / 4},
                                  {"estimated_time_to_regain_access", regain}};
  nlohmann::ordered_json j = {{account_id, nlohmann::ordered_json::array({entry})}};
  return j.dump();
}

void add_usage_headers(reply& r, const std::string& account_id) {
  if (!has_header(r, "X-App-Usage")) {
    r.headers.emplace_back("X-App-Usage", app_usage(normal_percent));
  }
  if (!account_id.empty() && !has_header(r, "X-Business-Use-Case-Usage")) {
    r.headers.emplace_back("X-Business-Use-Case-Usage", buc_usage(account_id, normal_percent, 0));
  }
}

} // namespace fakegram
