#include "igbridge/subscriptions.hpp"

#include "igbridge/provider.hpp"
#include "igbridge/urls.hpp"

namespace igbridge {

namespace {

std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs) {
    out += out.empty() ? x : "," + x;
  }
  return out;
}

/// graph's app access token: "{Meta App ID}|{Meta App Secret}" (the Meta
/// app's pair, not the Instagram app's: DESIGN §9).
std::string app_token(const config& cfg) {
  return cfg.instagram.app_id + "|" + cfg.instagram.meta_app_secret;
}

/// App subscriptions live on the Facebook Graph host, not the Instagram one.
std::string graph_subscriptions_url(const config& cfg) {
  const auto& ig = cfg.instagram;
  auto base = ig.facebook_graph_url;
  if (!ig.graph_version.empty()) {
    base += "/" + ig.graph_version;
  }
  return base + "/" + url_encode(ig.app_id) + "/subscriptions";
}

http_request form_post(std::string url, const params& form) {
  http_request r;
  r.method = "POST";
  r.url = std::move(url);
  r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  r.body = build_query(form);
  return r;
}

} // namespace

std::string webhook_callback_url(const config& cfg) {
  return cfg.server.public_url + "/hooks/instagram";
}

http_request subscription_create_request(const config& cfg) {
  const auto& ig = cfg.instagram;
  if (dialect_of(cfg) == dialect::legacy) {
    return form_post(ig.api_url + "/subscriptions",
                     {{"client_id", ig.client_id},
                      {"client_secret", ig.client_secret},
                      {"object", "user"},
                      {"aspect", "media"},
                      {"callback_url", webhook_callback_url(cfg)},
                      {"verify_token", ig.verify_token}});
  }
  return form_post(graph_subscriptions_url(cfg),
                   {{"object", "instagram"},
                    {"callback_url", webhook_callback_url(cfg)},
                    {"fields", joined(ig.webhook_fields)},
                    {"include_values", "true"},
                    {"verify_token", ig.verify_token},
                    {"access_token", app_token(cfg)}});
}

http_request subscription_list_request(const config& cfg) {
  const auto& ig = cfg.instagram;
  http_request r;
  if (dialect_of(cfg) == dialect::legacy) {
    r.url = ig.api_url + "/subscriptions?"
            + build_query({{"client_id", ig.client_id}, {"client_secret", ig.client_secret}});
  } else {
    r.url = graph_subscriptions_url(cfg) + "?" + build_query({{"access_token", app_token(cfg)}});
  }
  return r;
}

http_request subscription_delete_request(const config& cfg, const std::string& id) {
  const auto& ig = cfg.instagram;
  http_request r;
  r.method = "DELETE";
  if (dialect_of(cfg) == dialect::legacy) {
    params q{{"client_id", ig.client_id}, {"client_secret", ig.client_secret}};
    q.emplace_back(id.empty() ? "object" : "id", id.empty() ? "all" : id);
    r.url = ig.api_url + "/subscriptions?" + build_query(q);
  } else {
    r.url = graph_subscriptions_url(cfg) + "?"
            + build_query({{"object", "instagram"}, {"access_token", app_token(cfg)}});
  }
  return r;
}

http_request subscribed_apps_request(const config& cfg, const std::string& token) {
  http_request r;
  r.method = "POST";
  r.url = graph_api_base(cfg) + "/me/subscribed_apps?"
          + build_query({{"subscribed_fields", joined(cfg.instagram.webhook_fields)},
                         {"access_token", token}});
  return r;
}

} // namespace igbridge
