#pragma once

#include "app.hpp"
#include "http_types.hpp"

#include <string>

namespace fakegram {

/// GET|POST|DELETE /{app-id}/subscriptions (Facebook Graph host shape, app access token).
reply handle_graph_subscriptions(app& a, const request& req, const std::string& app_id);

/// GET|POST|DELETE /me/subscribed_apps (graph, user token; fields need their permissions).
reply handle_graph_subscribed_apps(app& a, const request& req, const std::string& subject);

/// GET|POST|DELETE /v1/subscriptions (legacy, client credentials).
reply handle_legacy_subscriptions(app& a, const request& req);

} // namespace fakegram
