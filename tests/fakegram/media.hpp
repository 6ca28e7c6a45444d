#pragma once

#include "app.hpp"
#include "http_types.hpp"

#include <string>

namespace fakegram {

/// GET /me (or /{user-id}) in graph: `{"user_id","id","username"}`.
reply handle_graph_me(app& a, const request& req, const std::string& subject);

/// GET /me/media (or /{user-id}/media) in graph: a page of media, newest first.
reply handle_graph_media(app& a, const request& req, const std::string& subject);

/// GET /v1/users/{id|self} in legacy: the user.
reply handle_legacy_user(app& a, const request& req, const std::string& user_id);

/// GET /v1/users/{id|self}/media/recent in legacy: a page of media, newest first.
reply handle_legacy_media(app& a, const request& req, const std::string& user_id);

} // namespace fakegram
