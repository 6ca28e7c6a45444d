/// Webhook subscriptions in both dialects. Graph has two levels, as Meta
/// documents them: the app's subscription to the `instagram` object lives on
/// the Facebook Graph host (`/{app-id}/subscriptions`, app access token
/// `{Meta App ID}|{Meta App Secret}`) and chooses the fields; each account
/// opts in with `/me/subscribed_apps` using its own token and the permissions
/// the fields it names need, and then receives every field of the app ("You
/// cannot select fields for each app user account"). Creating either kind of
/// callback subscription first verifies the callback with the hub.challenge
/// handshake, as Meta does.

#include "subscriptions.hpp"

#include "crypto.hpp"
#include "errors.hpp"
#include "http_client.hpp"
#include "scopes.hpp"

#include <algorithm>

namespace fakegram {

namespace {

constexpr std::chrono::seconds verify_timeout{5};
constexpr const char* default_version = "v23.0";

/// The hub handshake: GET the callback with a random challenge and expect it
/// echoed with HTTP 200. "" on success. A blocking call on this io thread is
/// fine: the listener has several threads and igbridge answers from its own
/// process, so nothing waits on this thread to answer it.
std::string verify_callback(const std::string& callback_url, const std::string& verify_token) {
  auto challenge = std::to_string(std::stoull(random_hex(4), nullptr, 16));
  auto url = append_query(callback_url, build_query({{"hub.mode", "subscribe"},
                                                     {"hub.challenge", challenge},
                                                     {"hub.verify_token", verify_token}}));
  auto res = http_call("GET", url, "", {}, verify_timeout);
  if (res.status == 0) {
    return "Couldn't connect to server (" + res.error + ")";
  }
  if (res.status != 200) {
    return "HTTP Status Code = " + std::to_string(res.status);
  }
  // Meta compares the body with the challenge exactly.
  if (res.body != challenge) {
    return "The URL couldn't be validated. Response does not match challenge, expected value=\""
           + challenge + "\", received=\"" + res.body.substr(0, 200) + "\"";
  }
  return {};
}

bool plausible_url(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

nlohmann::json graph_subscription_json(const subscription& s) {
  nlohmann::json fields = nlohmann::json::array();
  for (const auto& f : s.fields) {
    fields.push_back({{"name", f}, {"version", s.version}});
  }
  return {{"object", s.object}, {"callback_url", s.callback_url}, {"active", true}, {"fields", fields}};
}

nlohmann::json legacy_subscription_json(const subscription& s) {
  return {{"object", s.object}, {"object_id", nullptr}, {"aspect", s.aspect},
          {"callback_url", s.callback_url}, {"type", "subscription"}, {"id", s.id}};
}

/// Checks a field list against the instagram object's fields; "" when fine.
std::string unknown_field(const std::vector<std::string>& fields) {
  for (const auto& f : fields) {
    if (!known_webhook_field(f)) {
      return f;
    }
  }
  return {};
}

std::optional<subscription> stored(const app& a, const std::string& object) {
  for (const auto& s : a.st.subscriptions()) {
    if (s.object == object) {
      return s;
    }
  }
  return std::nullopt;
}

reply create_app_subscription(app& a, const request& req) {
  if (req.param("object") != "instagram") {
    return graph_error(400, 100, "(#100) Param object must be one of {instagram}");
  }
  auto callback = req.param("callback_url");
  if (!plausible_url(callback)) {
    return graph_error(400, 100, "(#100) Param callback_url must be a valid URL");
  }
  if (req.param("verify_token").empty()) {
    return graph_error(400, 100, "(#100) The parameter verify_token is required");
  }
  auto fields = split_commas(req.param("fields"));
  if (fields.empty()) {
    return graph_error(400, 100, "(#100) The parameter fields is required");
  }
  if (auto bad = unknown_field(fields); !bad.empty()) {
    return graph_error(400, 100, "(#100) Invalid field \"" + bad + "\" for object instagram");
  }
  if (auto why = verify_callback(callback, req.param("verify_token")); !why.empty()) {
    return graph_error(400, 2200, "(#2200) callback verification failed: " + why);
  }
  // A second POST for the object adds fields and moves the callback.
  subscription s;
  s.object = "instagram";
  s.callback_url = callback;
  s.version = req.api_version.empty() ? default_version : req.api_version;
  if (auto old = stored(a, "instagram")) {
    s.fields = old->fields;
  }
  for (const auto& f : fields) {
    if (std::find(s.fields.begin(), s.fields.end(), f) == s.fields.end()) {
      s.fields.push_back(f);
    }
  }
  a.st.put_subscription(s);
  return json_reply(200, {{"success", true}});
}

} // namespace

std::vector<std::string> app_fields(const app& a) {
  auto s = stored(a, "instagram");
  return s ? s->fields : std::vector<std::string>{};
}

reply handle_graph_subscriptions(app& a, const request& req, const std::string& app_id) {
  if (app_id != a.opts.app_id) {
    return graph_no_object(app_id, req.method == "GET" ? "get" : req.method == "POST" ? "post" : "delete");
  }
  if (req.param("access_token").empty()) {
    return graph_error(400, 104, "An access token is required to request this resource.");
  }
  // Only the Meta pair: an Instagram app secret in its place is refused as Meta does.
  if (req.param("access_token") != a.opts.app_id + "|" + a.opts.app_token_secret()) {
    return graph_error(400, 190, "Invalid OAuth access token signature.");
  }
  if (req.method == "GET") {
    nlohmann::json data = nlohmann::json::array();
    for (const auto& s : a.st.subscriptions()) {
      data.push_back(graph_subscription_json(s));
    }
    return json_reply(200, {{"data", data}});
  }
  if (req.method == "DELETE") {
    auto object = req.param("object");
    if (!object.empty() && object != "instagram") {
      return graph_error(400, 100, "(#100) Param object must be one of {instagram}");
    }
    auto fields = split_commas(req.param("fields"));
    if (!fields.empty() && !object.empty()) {
      a.st.delete_subscription_fields(object, fields);
    } else {
      a.st.delete_subscriptions("", object);
    }
    return json_reply(200, {{"success", true}});
  }
  return create_app_subscription(a, req);
}

reply handle_graph_subscribed_apps(app& a, const request& req, const std::string& subject) {
  token t;
  if (auto why = a.st.check_token(req.param("access_token"), t); why != token_status::ok) {
    return token_error(a.opts.dia, why);
  }
  auto who = a.st.find_account(t.account_id);
  if (!who || (subject != "me" && subject != who->id && subject != who->app_scoped_id)) {
    return graph_no_object(subject, req.method == "GET" ? "get" : req.method == "POST" ? "post" : "delete");
  }
  if (req.method == "GET") {
    nlohmann::json data = nlohmann::json::array();
    if (who->subscribed) {
      data.push_back({{"id", a.opts.app_id}, {"subscribed_fields", app_fields(a)}});
    }
    return json_reply(200, {{"data", data}});
  }
  if (req.method == "DELETE") {
    a.st.set_subscribed(who->id, false);
    return json_reply(200, {{"success", true}});
  }
  // The parameter is required and checked, field by field and scope by
  // scope, yet it selects nothing: the account gets all of the app's fields.
  auto fields = split_commas(req.param("subscribed_fields"));
  if (fields.empty()) {
    return graph_error(400, 100, "(#100) The parameter subscribed_fields is required.");
  }
  if (auto bad = unknown_field(fields); !bad.empty()) {
    std::string known;
    for (const auto& f : webhook_field_names()) {
      known += (known.empty() ? "" : ", ") + f;
    }
    return graph_error(400, 100, "(#100) Param subscribed_fields must be one of {" + known
                                   + "} - got \"" + bad + "\"");
  }
  for (const auto& f : fields) {
    auto needed = scope_for_field(f);
    if (needed && std::find(t.permissions.begin(), t.permissions.end(), *needed) == t.permissions.end()) {
      return permission_error("subscribing to '" + f + "' requires the " + *needed + " permission");
    }
  }
  a.st.set_subscribed(who->id, true);
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
  auto verify_token = req.has_param("verify_token") ? req.param("verify_token") : a.opts.verify_token;
  if (auto why = verify_callback(req.param("callback_url"), verify_token); !why.empty()) {
    return legacy_error(400, "APISubscriptionError", "Challenge verification failed: " + why);
  }
  subscription s;
  s.object = "user";
  s.aspect = "media";
  s.callback_url = req.param("callback_url");
  auto stored_sub = a.st.put_subscription(s);
  return json_reply(200, {{"meta", {{"code", 200}}}, {"data", legacy_subscription_json(stored_sub)}});
}

} // namespace fakegram
