/// Permissions as Business Login for Instagram grants them and webhook
/// fields as they depend on them (Meta's webhook and permission references).

#include "scopes.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace fakegram {

namespace {

// The current scope values; the old business_* ones stopped working in January 2025.
const std::set<std::string> graph_scopes = {
  "instagram_business_basic",           "instagram_business_content_publish",
  "instagram_business_manage_messages", "instagram_business_manage_comments",
  "instagram_business_manage_insights"};

const std::set<std::string> legacy_scopes = {"basic",         "public_content", "follower_list",
                                             "comments",      "relationships",  "likes"};

// DESIGN.md §9's list, as Meta's webhooks setup page lists the instagram
// object's fields for Instagram Login, with the permission each needs.
const std::map<std::string, std::optional<std::string>> webhook_fields = {
  {"comments", "instagram_business_manage_comments"},
  {"live_comments", "instagram_business_manage_comments"},
  {"mentions", "instagram_business_manage_comments"},
  {"message_echoes", "instagram_business_manage_messages"},
  {"message_reactions", "instagram_business_manage_messages"},
  {"messages", "instagram_business_manage_messages"},
  {"messaging_handover", "instagram_business_manage_messages"},
  {"messaging_optins", "instagram_business_manage_messages"},
  {"messaging_policy_enforcement", "instagram_business_manage_messages"},
  {"messaging_postbacks", "instagram_business_manage_messages"},
  {"messaging_referral", "instagram_business_manage_messages"},
  {"messaging_seen", "instagram_business_manage_messages"},
  {"response_feedback", "instagram_business_manage_messages"},
  {"standby", "instagram_business_manage_messages"},
  {"story_insights", "instagram_business_manage_insights"},
};

std::string trim(const std::string& s) {
  auto first = s.find_first_not_of(" \t");
  auto last = s.find_last_not_of(" \t");
  return first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
}

} // namespace

std::vector<std::string> split_scopes(const std::string& scope) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= scope.size()) {
    auto end = scope.find_first_of(", ", i);
    if (end == std::string::npos) {
      end = scope.size();
    }
    auto item = scope.substr(i, end - i);
    if (!item.empty() && std::find(out.begin(), out.end(), item) == out.end()) {
      out.push_back(item);
    }
    i = end + 1;
  }
  return out;
}

std::string scope_problem(dialect dia, const std::vector<std::string>& scopes) {
  const auto& known = dia == dialect::graph ? graph_scopes : legacy_scopes;
  for (const auto& s : scopes) {
    if (known.count(s) == 0) {
      return "Invalid Scopes: " + s + ". This message is only shown to developers.";
    }
  }
  auto basic = dia == dialect::graph ? "instagram_business_basic" : "basic";
  if (std::find(scopes.begin(), scopes.end(), basic) == scopes.end()) {
    return std::string("Invalid Scopes: the scope must include '") + basic + "'.";
  }
  return {};
}

std::string join_commas(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    out += (out.empty() ? "" : ",") + i;
  }
  return out;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= s.size()) {
    auto end = s.find(',', i);
    if (end == std::string::npos) {
      end = s.size();
    }
    auto item = trim(s.substr(i, end - i));
    if (!item.empty() && std::find(out.begin(), out.end(), item) == out.end()) {
      out.push_back(item);
    }
    i = end + 1;
  }
  return out;
}

std::vector<std::string> webhook_field_names() {
  std::vector<std::string> out;
  for (const auto& [name, scope] : webhook_fields) {
    out.push_back(name);
  }
  return out;
}

bool known_webhook_field(const std::string& field) {
  return webhook_fields.count(field) > 0;
}

std::optional<std::string> scope_for_field(const std::string& field) {
  auto it = webhook_fields.find(field);
  return it == webhook_fields.end() ? std::nullopt : it->second;
}

} // namespace fakegram
