#pragma once

#include "app.hpp"
#include "http_types.hpp"

#include <string>

namespace fakegram {

/// GET|POST|DELETE /{app-id}/subscriptions (graph, app credentials).
reply handle_graph_subscriptions(app& a, const request& req, const std::string& app_id);

/// POST|DELETE /me/subscribed_apps (graph, user token).
reply handle_graph_subscribed_apps(app& a, const request& req, const std::string& subject);

/// GET|POST|DELETE /v1/subscriptions (legacy, client credentials).
reply handle_legacy_subscriptions(app& a, const request& req);

} // namespace fakegram
