#pragma once

#include "app.hpp"
#include "http_types.hpp"

namespace fakegram {

/// GET /: a page for a person: accounts, a form to create one, a form to post
/// a fake photo (ids: username/create, account/media_type/caption/post), to
/// send a mention (mention-account/mention), recent posts and deliveries.
reply handle_demo_index(app& a, const request& req);

/// POST /_fake/demo/accounts (form `username`): creates, then back to /.
reply handle_demo_create_account(app& a, const request& req);

/// POST /_fake/demo/post (form `account`, `caption`, `media_type`?): posts, then back to /.
reply handle_demo_post(app& a, const request& req);

/// POST /_fake/demo/mention (form `account`): queues a signed mentions
/// webhook for the account (graph), then back to /.
reply handle_demo_mention(app& a, const request& req);

} // namespace fakegram
