#include "igbridge/provider.hpp"
#include "igbridge/urls.hpp"

namespace igbridge {

namespace {

/// The fields every graph media page asks for; the parser reads exactly these.
constexpr const char* media_fields =
    "id,caption,media_type,media_url,permalink,thumbnail_url,timestamp,username,"
    "children{id,media_type,media_url,thumbnail_url}";

http_request get(std::string url) {
  http_request r;
  r.method = "GET";
  r.url = std::move(url);
  return r;
}

} // namespace

std::string graph_api_base(const config& cfg) {
  const auto& ig = cfg.instagram;
  return ig.graph_version.empty() ? ig.graph_url : ig.graph_url + "/" + ig.graph_version;
}

dialect dialect_of(const config& cfg) {
  return cfg.instagram.dialect == "legacy" ? dialect::legacy : dialect::graph;
}

std::string authorize_url(const config& cfg, const std::string& redirect_uri,
                          const std::string& state) {
  std::string scope = "basic";
  if (dialect_of(cfg) == dialect::graph) {
    scope.clear();
    for (const auto& s : cfg.instagram.scopes) {
      scope += scope.empty() ? s : "," + s;
    }
  }
  return cfg.instagram.authorize_url + "?" +
         build_query({{"client_id", cfg.instagram.client_id},
                      {"redirect_uri", redirect_uri},
                      {"response_type", "code"},
                      {"scope", scope},
                      {"state", state}});
}

http_request code_exchange_request(const config& cfg, const std::string& redirect_uri,
                                   std::string code) {
  // Instagram appends "#_" to the redirect; browsers usually drop the
  // fragment, but a code copied by hand may still carry it.
  if (code.size() >= 2 && code.compare(code.size() - 2, 2, "#_") == 0) {
    code.resize(code.size() - 2);
  }
  http_request r;
  r.method = "POST";
  r.url = cfg.instagram.token_url;
  r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  r.body = build_query({{"client_id", cfg.instagram.client_id},
                        {"client_secret", cfg.instagram.client_secret},
                        {"grant_type", "authorization_code"},
                        {"redirect_uri", redirect_uri},
                        {"code", code}});
  return r;
}

http_request long_lived_request(const config& cfg, const std::string& short_token) {
  return get(cfg.instagram.graph_url + "/access_token?" +
             build_query({{"grant_type", "ig_exchange_token"},
                          {"client_secret", cfg.instagram.client_secret},
                          {"access_token", short_token}}));
}

http_request refresh_request(const config& cfg, const std::string& token) {
  return get(cfg.instagram.graph_url + "/refresh_access_token?" +
             build_query({{"grant_type", "ig_refresh_token"}, {"access_token", token}}));
}

http_request me_request(const config& cfg, const std::string& token) {
  return get(graph_api_base(cfg) + "/me?" +
             build_query({{"fields", "user_id,username"}, {"access_token", token}}));
}

http_request media_request(const config& cfg, const std::string& token,
                           const std::string& ig_user_id, int count) {
  if (dialect_of(cfg) == dialect::legacy) {
    return get(cfg.instagram.api_url + "/users/" + url_encode(ig_user_id) + "/media/recent?" +
               build_query({{"access_token", token}, {"count", std::to_string(count)}}));
  }
  return get(graph_api_base(cfg) + "/me/media?" +
             build_query({{"fields", media_fields},
                          {"limit", std::to_string(count)},
                          {"access_token", token}}));
}

http_request next_page_request(const std::string& next_url) {
  return get(next_url);
}

http_request media_node_request(const config& cfg, const std::string& token,
                                const std::string& media_id) {
  return get(graph_api_base(cfg) + "/" + url_encode(media_id) + "?" +
             build_query({{"fields", "media_url,thumbnail_url,children{media_url,thumbnail_url}"},
                          {"access_token", token}}));
}

} // namespace igbridge
