#pragma once

#include "app.hpp"
#include "http_types.hpp"

namespace fakegram {

/// POST /_fake/accounts/{id}/mention, optional `{"media_id","comment_id"}`:
/// sends a signed graph `mentions` change for the account to --webhook-url
/// now and answers `{"status":<igbridge's status>,"body":<its answer>}`.
reply handle_mention(app& a, const request& req, const account& who);

/// POST /_fake/accounts/{id}/message, optional `{"text","sender"}`: sends a
/// signed `messaging[]` entry (a direct message from `sender`, an
/// Instagram-scoped id, to the account) now; answers like handle_mention.
reply handle_message(app& a, const request& req, const account& who);

/// POST /_fake/test-webhook `{"field":"comments"}`: sends what the App
/// Dashboard's "Test" button sends for that field (entry id "0", Meta's
/// sample value), signed like every update; answers like handle_mention.
reply handle_test_webhook(app& a, const request& req);

/// POST /_fake/accounts/{id}/deauthorize or /data-deletion, optional
/// `{"issued_at":T, "user_id":"…", "revoke":bool}`: revokes the account's
/// tokens (the person removed the app; `"revoke":false` keeps them) and POSTs
/// `signed_request` (user_id: the app-scoped id unless given) to
/// --deauthorize-url / --data-deletion-url; answers like handle_mention.
reply handle_signed_request_callback(app& a, const request& req, const account& who,
                                     bool data_deletion);

} // namespace fakegram
