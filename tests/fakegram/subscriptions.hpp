#pragma once

#include "app.hpp"
#include "http_types.hpp"

#include <string>
#include <vector>

namespace fakegram {

/// GET|POST|DELETE /{app-id}/subscriptions (Facebook Graph host shape, app access token).
reply handle_graph_subscriptions(app& a, const request& req, const std::string& app_id);

/// The fields of the app's `instagram` subscription (none without one):
/// what every account enabled with /me/subscribed_apps receives.
std::vector<std::string> app_fields(const app& a);

/// GET|POST|DELETE /me/subscribed_apps (graph, user token; the fields named
/// need their permissions, and the account then gets all the app's fields).
reply handle_graph_subscribed_apps(app& a, const request& req, const std::string& subject);

/// GET|POST|DELETE /v1/subscriptions (legacy, client credentials).
reply handle_legacy_subscriptions(app& a, const request& req);

} // namespace fakegram
