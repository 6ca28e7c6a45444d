#pragma once

#include "app.hpp"
#include "http_types.hpp"

#include <string>

namespace fakegram {

/// GET /{node} in graph: `me`, either id of the token's account (an IG
/// User), or the id of one of its posts or carousel children (an IG Media).
/// Answers only the requested fields (and `id`), validated strictly.
reply handle_graph_node(app& a, const request& req, const std::string& node);

/// GET /me/media (or /{user-id}/media) in graph: a page of media, newest first.
reply handle_graph_media(app& a, const request& req, const std::string& subject);

/// GET /{media-id}/children in graph: a carousel's children, in order.
reply handle_graph_children(app& a, const request& req, const std::string& media_id);

/// GET /v1/users/{id|self} in legacy: the user.
reply handle_legacy_user(app& a, const request& req, const std::string& user_id);

/// GET /v1/users/{id|self}/media/recent in legacy: a page of media, newest first.
reply handle_legacy_media(app& a, const request& req, const std::string& user_id);

} // namespace fakegram
