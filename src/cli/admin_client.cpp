// `igbridge users …` and `igbridge outbox …`: small clients of the running
// daemon's admin API, with readable tables and --json for scripts.

#include <cstdio>
#include <fstream>
#include <future>
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/blocking_http.hpp"
#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "igbridge/urls.hpp"

namespace igbridge {

namespace {

std::string admin_base(const config& cfg) {
  auto host = cfg.admin.listen.host;
  // A wildcard listener is reached over loopback from this machine.
  if (host == "0.0.0.0") {
    host = "127.0.0.1";
  } else if (host == "::") {
    host = "::1";
  }
  if (host.find(':') != std::string::npos) {
    host = "[" + host + "]";
  }
  return "http://" + host + ":" + std::to_string(cfg.admin.listen.port);
}

http_response call(const config& cfg, const std::string& method, const std::string& path,
                   std::string json_body = {}) {
  http_request req;
  req.method = method;
  req.url = admin_base(cfg) + path;
  req.headers.emplace_back("Accept", "application/json");
  if (!json_body.empty()) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = std::move(json_body);
  }
  if (!cfg.admin.token.empty()) {
    req.headers.emplace_back("Authorization", "Bearer " + cfg.admin.token);
  }
  return blocking_send(req);
}

/// Prints an error for failed calls; returns the exit code to use.
int report(const http_response& r) {
  if (r.status == 0) {
    std::cerr << "igbridge is not reachable on its admin listener: " << r.error << "\n";
    return 1;
  }
  if (r.status == 401) {
    std::cerr << "refused: the admin token is missing or wrong (admin.token_file)\n";
    return 1;
  }
  if (r.status >= 400) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    std::string msg = j.is_object() && j.contains("error") && j["error"].is_string()
                        ? j["error"].get<std::string>()
                        : r.body;
    std::cerr << "error " << r.status << ": " << msg << "\n";
    return 1;
  }
  return 0;
}

std::string str(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) {
    return "-";
  }
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

void print_table(const std::vector<std::string>& head,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> w(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) {
    w[i] = head[i].size();
    for (auto& r : rows) {
      w[i] = std::max(w[i], r[i].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      std::cout << std::left << std::setw(static_cast<int>(w[i]) + 2) << cells[i];
    }
    std::cout << "\n";
  };
  line(head);
  for (auto& r : rows) {
    line(r);
  }
}

std::vector<std::string> user_row(const nlohmann::json& u) {
  return {str(u, "user"),          str(u, "state"),         str(u, "username"),
          str(u, "imported"),      str(u, "last_fetch_at"), str(u, "next_fetch_at"),
          str(u, "last_error")};
}

const std::vector<std::string> user_head{"USER",       "STATE",         "USERNAME",  "IMPORTED",
                                         "LAST FETCH", "NEXT FETCH",    "LAST ERROR"};

} // namespace

namespace {

/// "a, #B,c" → ["a","B","c"]; the daemon normalizes and validates tags.
nlohmann::json tag_array(const std::string& csv) {
  auto out = nlohmann::json::array();
  std::size_t start = 0;
  while (start <= csv.size()) {
    auto end = csv.find(',', start);
    auto item = csv.substr(start, end == std::string::npos ? std::string::npos : end - start);
    auto a = item.find_first_not_of(" \t#");
    auto b = item.find_last_not_of(" \t");
    if (a != std::string::npos) {
      out.push_back(item.substr(a, b - a + 1));
    }
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return out;
}

} // namespace

int run_user_rules(const std::string& config_path, const std::string& id,
                   const std::optional<std::string>& tags, const std::optional<std::string>& block,
                   bool json) {
  config cfg;
  if (!load_or_report(config_path, cfg)) {
    return 1;
  }
  if (id.empty()) {
    std::cerr << "users rules needs a user id\n";
    return 2;
  }
  auto path = "/users/" + url_encode(id) + "/rules";
  auto r = call(cfg, "GET", path);
  if (auto rc = report(r)) {
    return rc;
  }
  if (tags || block) {
    auto now = nlohmann::json::parse(r.body, nullptr, false);
    nlohmann::json body{{"tags", tags ? tag_array(*tags) : now.value("tags", nlohmann::json::array())},
                        {"block", block ? tag_array(*block)
                                        : now.value("block", nlohmann::json::array())}};
    r = call(cfg, "PUT", path, body.dump());
    if (auto rc = report(r)) {
      return rc;
    }
  }
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (json || !j.is_object()) {
    std::cout << (j.is_object() ? j.dump(2) : r.body) << "\n";
    return 0;
  }
  auto list = [](const nlohmann::json& a) {
    std::string s;
    for (const auto& t : a) {
      s += (s.empty() ? "" : ",") + (t.is_string() ? t.get<std::string>() : t.dump());
    }
    return s.empty() ? std::string("-") : s;
  };
  std::cout << "user   " << str(j, "user") << "\n"
            << "tags   " << list(j.value("tags", nlohmann::json::array())) << "\n"
            << "block  " << list(j.value("block", nlohmann::json::array())) << "\n"
            << "source " << str(j, "source") << "\n";
  return 0;
}

int run_users(const std::string& config_path, const std::string& action, const std::string& id,
              const std::string& state, bool json, const std::string& since) {
  config cfg;
  if (!load_or_report(config_path, cfg)) {
    return 1;
  }
  if (action != "list" && id.empty()) {
    std::cerr << "users " << action << " needs a user id\n";
    return 2;
  }
  auto uid = url_encode(id);
  if (action == "list") {
    nlohmann::json all = nlohmann::json::array();
    std::string after;
    for (;;) {
      params q{{"limit", "1000"}};
      if (!state.empty()) {
        q.emplace_back("state", state);
      }
      if (!after.empty()) {
        q.emplace_back("after", after);
      }
      auto r = call(cfg, "GET", "/users?" + build_query(q));
      if (auto rc = report(r)) {
        return rc;
      }
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      if (!j.is_object() || !j["users"].is_array()) {
        std::cerr << "unexpected answer from igbridge\n";
        return 1;
      }
      for (auto& u : j["users"]) {
        all.push_back(u);
      }
      if (!j["next"].is_string()) {
        break;
      }
      after = j["next"].get<std::string>();
    }
    if (json) {
      std::cout << nlohmann::json{{"users", all}}.dump(2) << "\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (auto& u : all) {
      rows.push_back(user_row(u));
    }
    print_table(user_head, rows);
    return 0;
  }
  http_response r;
  if (action == "show") {
    r = call(cfg, "GET", "/users/" + uid);
  } else if (action == "fetch") {
    r = call(cfg, "POST", "/users/" + uid + "/fetch");
  } else if (action == "backfill") {
    nlohmann::json body = nlohmann::json::object();
    if (!since.empty()) {
      body["since"] = since;
    }
    r = call(cfg, "POST", "/users/" + uid + "/backfill", body.dump());
  } else {
    r = call(cfg, "DELETE", "/users/" + uid);
  }
  if (auto rc = report(r)) {
    return rc;
  }
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (json) {
    std::cout << (j.is_discarded() ? r.body : j.dump(2)) << "\n";
    return 0;
  }
  if (action == "fetch") {
    std::cout << "fetch queued for " << id << "\n";
  } else if (action == "backfill") {
    std::cout << "backfill started for " << id
              << " (progress: igbridge users show " << id << ")\n";
  } else if (action == "disconnect") {
    std::cout << id << " disconnected (state " << str(j, "state") << ")\n";
  } else {
    for (auto& [k, v] : j.items()) {
      std::cout << std::left << std::setw(18) << k << (v.is_string() ? v.get<std::string>()
                                                                     : v.dump())
                << "\n";
    }
  }
  return 0;
}

int run_outbox(const std::string& config_path, const std::string& action, const std::string& id,
               bool json) {
  config cfg;
  if (!load_or_report(config_path, cfg)) {
    return 1;
  }
  if (action == "replay" || action == "drop") {
    if (id.empty()) {
      std::cerr << "outbox " << action << " needs a dead letter id\n";
      return 2;
    }
    auto r = call(cfg, "POST", "/outbox/" + url_encode(id) + "/" + action);
    if (auto rc = report(r)) {
      return rc;
    }
    std::cout << (json ? r.body
                       : action == "replay" ? "dead letter " + id + " queued for delivery"
                                            : "dead letter " + id + " dropped; its user's later "
                                                                     "events go on")
              << "\n";
    return 0;
  }
  auto r = call(cfg, "GET", "/outbox?state=dead&limit=1000");
  if (auto rc = report(r)) {
    return rc;
  }
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (json) {
    std::cout << (j.is_discarded() ? r.body : j.dump(2)) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  if (j.is_object() && j["items"].is_array()) {
    for (auto& e : j["items"]) {
      rows.push_back({str(e, "id"), str(e, "type"), str(e, "record_id"), str(e, "user"),
                      str(e, "attempts"), str(e, "last_error")});
    }
  }
  print_table({"ID", "TYPE", "RECORD", "USER", "ATTEMPTS", "LAST ERROR"}, rows);
  return 0;
}

} // namespace igbridge
