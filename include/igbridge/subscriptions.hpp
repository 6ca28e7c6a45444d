#pragma once
/// @brief Webhook subscription calls of both dialects, as requests to send:
/// the app-level subscription (graph: /{app-id}/subscriptions; legacy:
/// /v1/subscriptions) and graph's per-account /me/subscribed_apps.

#include <string>

#include "igbridge/config.hpp"
#include "igbridge/http_types.hpp"

namespace igbridge {

/// public_url + "/hooks/instagram".
std::string webhook_callback_url(const config& cfg);

http_request subscription_create_request(const config& cfg);
http_request subscription_list_request(const config& cfg);
/// legacy: `id` deletes one subscription, empty deletes all (object=all).
/// graph: deletes the app's instagram subscription.
http_request subscription_delete_request(const config& cfg, const std::string& id);

/// graph: subscribes the linked account to the app's webhook fields.
http_request subscribed_apps_request(const config& cfg, const std::string& token);

} // namespace igbridge
