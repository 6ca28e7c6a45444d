#pragma once

#include "app.hpp"
#include "http_types.hpp"

namespace fakegram {

/// GET /oauth/authorize: consent page, or with `as=USERNAME` an instant approval.
reply handle_authorize(app& a, const request& req);

/// GET|POST /oauth/authorize/decide: the consent form's Allow / Deny.
reply handle_authorize_decide(app& a, const request& req);

/// POST /oauth/access_token: authorization code → short-lived (graph) or
/// legacy token.
reply handle_access_token(app& a, const request& req);

/// GET /access_token?grant_type=ig_exchange_token (graph): → long-lived token.
reply handle_exchange_token(app& a, const request& req);

/// GET /refresh_access_token?grant_type=ig_refresh_token (graph): → new long-lived token.
reply handle_refresh_token(app& a, const request& req);

} // namespace fakegram
