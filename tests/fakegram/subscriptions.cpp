#include "subscriptions.hpp"

#include "crypto.hpp"
#include "errors.hpp"
#include "http_client.hpp"

namespace fakegram {

namespace {

constexpr std::chrono::seconds verify_timeout{5};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= s.size()) {
    auto end = s.find(',', i);
    if (end == std::string::npos) {
      end = s.size();
    }
    auto item = s.substr(i, end - i);
    if (!item.empty()) {
      out.push_back(item);
    }
    i = end + 1;
  }
  return out;
}

std::string trim(std::string s) {
  auto first = s.find_first_not_of(" \t\r\n");
  auto last = s.find_last_not_of(" \t\r\n");
  return first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
}

/// The hub handshake real Instagram does before accepting a callback: GET it
/// with a random challenge and expect the challenge echoed. "" on success.
std::string verify_callback(const std::string& callback_url, const std::string& verify_token) {
  auto challenge = std::to_string(std::stoull(random_hex(4), nullptr, 16));
  auto url = append_query(callback_url, build_query({{"hub.mode", "subscribe"},
                                                     {"hub.challenge", challenge},
                                                     {"hub.verify_token", verify_token}}));
  auto res = http_call("GET", url, "", {}, verify_timeout);
  if (res.status == 0) {
    return "could not reach " + callback_url + ": " + res.error;
  }
  if (res.status != 200 || trim(res.body) != challenge) {
    return "Challenge verification failed. Sent \"" + challenge + "\", received HTTP "
           + std::to_string(res.status) + " \"" + res.body.substr(0, 200) + "\"";
  }
  return {};
}

bool plausible_url(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

std::string verify_token_of(const app& a, const request& req) {
  return req.has_param("verify_token") ? req.param("verify_token") : a.opts.verify_token;
}

/// Graph app calls authenticate with `access_token=ID|SECRET` or client_id + client_secret.
bool graph_app_auth(const app& a, const request& req) {
  if (req.has_param("access_token")) {
    return req.param("access_token") == a.opts.client_id + "|" + a.opts.client_secret;
  }
  return req.param("client_id") == a.opts.client_id
         && req.param("client_secret") == a.opts.client_secret;
}

nlohmann::json graph_subscription_json(const subscription& s) {
  nlohmann::json fields = nlohmann::json::array();
  for (const auto& f : s.fields) {
    fields.push_back({{"name", f}, {"version", "v21.0"}});
  }
  return {{"object", s.object}, {"callback_url", s.callback_url}, {"active", true}, {"fields", fields}};
}

nlohmann::json legacy_subscription_json(const subscription& s) {
  return {{"object", s.object}, {"object_id", nullptr}, {"aspect", s.aspect},
          {"callback_url", s.callback_url}, {"type", "subscription"}, {"id", s.id}};
}

} // namespace

reply handle_graph_subscriptions(app& a, const request& req, const std::string& app_id) {
  if (app_id != a.opts.client_id) {
    return graph_error(400, 100, "Unsupported request: object '" + app_id + "' does not exist.", 33);
  }
  if (!graph_app_auth(a, req)) {
    return graph_error(400, 190, "Invalid OAuth access token: an app access token (ID|SECRET) is required.");
  }
  if (req.method == "GET") {
    nlohmann::json data = nlohmann::json::array();
    for (const auto& s : a.st.subscriptions()) {
      data.push_back(graph_subscription_json(s));
    }
    return json_reply(200, {{"data", data}});
  }
  if (req.method == "DELETE") {
    a.st.delete_subscriptions("", req.param("object"));
    return json_reply(200, {{"success", true}});
  }
  if (req.param("object") != "instagram") {
    return graph_error(400, 100, "(#100) Param object must be 'instagram'");
  }
  if (!plausible_url(req.param("callback_url"))) {
    return graph_error(400, 100, "(#100) Param callback_url must be a valid URL");
  }
  auto fields = split_commas(req.param("fields"));
  if (fields.empty()) {
    return graph_error(400, 100, "(#100) Param fields must be non-empty");
  }
  if (auto why = verify_callback(req.param("callback_url"), verify_token_of(a, req)); !why.empty()) {
    return graph_error(400, 2200, "(#2200) callback verification failed: " + why);
  }
  subscription s;
  s.object = "instagram";
  s.callback_url = req.param("callback_url");
  s.fields = fields;
  a.st.put_subscription(s);
  return json_reply(200, {{"success", true}});
}

reply handle_graph_subscribed_apps(app& a, const request& req, const std::string& subject) {
  token t;
  if (auto why = a.st.check_token(req.param("access_token"), t); why != token_status::ok) {
    return token_error(a.opts.dia, why);
  }
  if (subject != "me" && subject != t.account_id) {
    return graph_error(400, 100, "Unsupported request: object '" + subject + "' does not exist.", 33);
  }
  if (req.method == "POST" && split_commas(req.param("subscribed_fields")).empty()) {
    return graph_error(400, 100, "(#100) The parameter subscribed_fields is required.");
  }
  return json_reply(200, {{"success", true}});
}

reply handle_legacy_subscriptions(app& a, const request& req) {
  if (req.param("client_id") != a.opts.client_id || req.param("client_secret") != a.opts.client_secret) {
    return legacy_error(400, "OAuthClientException", "Invalid client_id or client_secret.");
  }
  if (req.method == "GET") {
    nlohmann::json data = nlohmann::json::array();
    for (const auto& s : a.st.subscriptions()) {
      data.push_back(legacy_subscription_json(s));
    }
    return json_reply(200, {{"meta", {{"code", 200}}}, {"data", data}});
  }
  if (req.method == "DELETE") {
    if (req.param("object") == "all") {
      a.st.delete_subscriptions("", "");
    } else if (!req.param("id").empty()) {
      a.st.delete_subscriptions(req.param("id"), "");
    } else if (!req.param("object").empty()) {
      a.st.delete_subscriptions("", req.param("object"));
    } else {
      return legacy_error(400, "APISubscriptionError", "Provide id or object to delete.");
    }
    return json_reply(200, {{"meta", {{"code", 200}}}, {"data", nullptr}});
  }
  if (req.param("object") != "user") {
    return legacy_error(400, "APISubscriptionError", "Invalid object: '" + req.param("object") + "'");
  }
  if (req.param("aspect") != "media") {
    return legacy_error(400, "APISubscriptionError", "Invalid aspect: '" + req.param("aspect") + "'");
  }
  if (!plausible_url(req.param("callback_url"))) {
    return legacy_error(400, "APISubscriptionError", "Invalid or missing callback_url.");
  }
  if (auto why = verify_callback(req.param("callback_url"), verify_token_of(a, req)); !why.empty()) {
    return legacy_error(400, "APISubscriptionError", why);
  }
  subscription s;
  s.object = "user";
  s.aspect = "media";
  s.callback_url = req.param("callback_url");
  auto stored = a.st.put_subscription(s);
  return json_reply(200, {{"meta", {{"code", 200}}}, {"data", legacy_subscription_json(stored)}});
}

} // namespace fakegram
