#pragma once

#include "app.hpp"
#include "http_types.hpp"

namespace fakegram {

/// GET /: a page for a person: accounts, a form to create one, a form to post
/// a fake photo (ids: username/create, account/caption/post), recent posts and
/// update deliveries.
reply handle_demo_index(app& a, const request& req);

/// POST /_fake/demo/accounts (form `username`): creates, then back to /.
reply handle_demo_create_account(app& a, const request& req);

/// POST /_fake/demo/post (form `account`, `caption`): posts, then back to /.
reply handle_demo_post(app& a, const request& req);

} // namespace fakegram
