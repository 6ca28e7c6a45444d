// `igbridge subscriptions create|list|delete`: the provider's webhook
// subscription for this app. Creating one makes the provider call our
// verification endpoint, so the daemon must be running.

#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/blocking_http.hpp"
#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "igbridge/provider.hpp"
#include "igbridge/subscriptions.hpp"

namespace igbridge {

int run_subscriptions(const std::string& config_path, const std::string& action,
                      const std::string& id) {
  config cfg;
  if (!load_or_report(config_path, cfg)) {
    return 1;
  }
  if (action == "create" && cfg.instagram.verify_token.empty()) {
    std::cerr << "instagram.verify_token_file: needed to create a subscription\n";
    return 1;
  }
  bool graph = dialect_of(cfg) == dialect::graph;
  // Meta's app access token is "{Meta App ID}|{Meta App Secret}": the
  // Instagram app's secret is refused there (code 190).
  if (graph && cfg.instagram.meta_app_secret.empty()) {
    std::cerr << "instagram.meta_app_secret_file: needed for subscriptions: the app access token "
                 "is {instagram.app_id}|{Meta App Secret} (App settings > Basic in the App "
                 "Dashboard)\n";
    return 1;
  }
  http_request req = action == "create" ? subscription_create_request(cfg)
                     : action == "list" ? subscription_list_request(cfg)
                                        : subscription_delete_request(cfg, id);
  if (action == "create") {
    std::cout << "subscribing " << webhook_callback_url(cfg) << " ("
              << cfg.instagram.dialect << " dialect)\n";
  }
  auto r = blocking_send(req, std::chrono::seconds{60});
  if (r.status == 0) {
    std::cerr << "the provider did not answer: " << r.error << "\n";
    return 1;
  }
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  auto text = j.is_discarded() ? r.body : j.dump(2);
  if (r.status >= 300) {
    std::cerr << "the provider refused (HTTP " << r.status << "):\n" << text << "\n";
    auto e = classify(r);
    if (graph && (e.code == 190 || e.code == 102 || e.code == 104)) {
      std::cerr << "instagram.meta_app_secret_file / instagram.app_id: Meta refused the app "
                   "access token: check that app_id is the Meta App ID and "
                   "meta_app_secret_file holds its App Secret (App settings > Basic)\n";
    }
    return 1;
  }
  std::cout << text << "\n";
  return 0;
}

} // namespace igbridge
