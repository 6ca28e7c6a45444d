/// The OAuth endpoints of both dialects: the authorize dialog (scopes
/// recorded on the code), the code exchange, and graph's long-lived token
/// exchange and refresh with Meta's rules (1 h / 60 days, refresh after 24 h).

#include "oauth.hpp"

#include "consent_page.hpp"
#include "errors.hpp"
#include "scopes.hpp"
#include "timefmt.hpp"

namespace fakegram {

namespace {

constexpr int long_lived_expires_in = 5184000;   // 60 days
constexpr std::int64_t refresh_min_age_s = 86400; // a token refreshes once it is 24 h old

authorize_params read_authorize(const request& req) {
  return {req.param("client_id"), req.param("redirect_uri"), req.param("response_type"),
          req.param("scope"), req.param("state")};
}

/// Checks what the real dialog checks before showing anything; "" when fine.
std::string authorize_problem(const app& a, const authorize_params& p) {
  if (p.client_id != a.opts.client_id) {
    return "Invalid platform app: unknown client_id '" + p.client_id + "'.";
  }
  bool http = p.redirect_uri.rfind("http://", 0) == 0 || p.redirect_uri.rfind("https://", 0) == 0;
  if (!http || p.redirect_uri.find('#') != std::string::npos) {
    return "Invalid redirect_uri: it must be an absolute http(s) URL without a fragment.";
  }
  if (p.response_type != "code") {
    return "Invalid response_type: only 'code' is supported.";
  }
  return scope_problem(a.opts.dia, split_scopes(p.scope));
}

/// The approval redirect. Graph appends "#_" like the real dialog; it goes
/// after the query so a browser still sends `state` to the callback.
reply approve(app& a, const authorize_params& p, const account& who) {
  // The person grants what was asked for; the code remembers it for the token.
  auto code = a.st.issue_code(who.id, p.client_id, p.redirect_uri, split_scopes(p.scope));
  param_list q{{"code", code}};
  if (!p.state.empty()) {
    q.emplace_back("state", p.state);
  }
  auto location = append_query(p.redirect_uri, build_query(q));
  if (a.graph()) {
    location += "#_";
  }
  return redirect_reply(location);
}

/// Cancel, as Business Login documents it: the error triple and, as in
/// Meta's sample, no `state` (unless --cancel-with-state).
reply deny(const app& a, const authorize_params& p) {
  param_list q{{"error", "access_denied"},
               {"error_reason", "user_denied"},
               {"error_description", "The user denied your request"}};
  if (a.opts.cancel_with_state && !p.state.empty()) {
    q.emplace_back("state", p.state);
  }
  return redirect_reply(append_query(p.redirect_uri, build_query(q)));
}

reply bad_request_page(const std::string& why) {
  return html_reply(400, render_error_page("Invalid request", why));
}

reply consent_again(app& a, const authorize_params& p, const std::string& error) {
  return html_reply(400, render_consent(p, a.st.accounts(), a.opts.client_id, error));
}

reply token_answer(app& a, const request& req, const token& t) {
  auto who = a.st.find_account(t.account_id);
  if (a.graph()) {
    // Business Login answers the app-scoped user id here, not the professional
    // account id that /me's user_id and webhooks carry. The documented form
    // wraps it in data[] with a string id; the live endpoint answers a flat
    // object whose user_id is a JSON number (17 digits: beyond a double's
    // exact range, so it is written from a uint64).
    auto scoped = who ? who->app_scoped_id : t.account_id;
    nlohmann::ordered_json grant = {{"access_token", t.value}};
    if (a.opts.wrapped_token) {
      grant["user_id"] = scoped;
    } else {
      grant["user_id"] = static_cast<std::uint64_t>(std::stoull(scoped));
    }
    grant["permissions"] = join_commas(t.permissions);
    auto body = a.opts.wrapped_token
                  ? nlohmann::ordered_json{{"data", nlohmann::ordered_json::array({grant})}}
                  : grant;
    reply r;
    r.content_type = "application/json; charset=UTF-8";
    r.body = body.dump();
    return r;
  }
  auto username = who ? who->username : std::string();
  return json_reply(200, {{"access_token", t.value},
                          {"user",
                           {{"id", t.account_id},
                            {"username", username},
                            {"full_name", username},
                            {"profile_picture",
                             a.base_url(req) + "/_fake/avatar/" + t.account_id + ".svg"}}}});
}

reply long_lived_answer(const token& t) {
  return json_reply(200, {{"access_token", t.value},
                          {"token_type", "bearer"},
                          {"expires_in", long_lived_expires_in}});
}

} // namespace

reply handle_authorize(app& a, const request& req) {
  auto p = read_authorize(req);
  if (auto why = authorize_problem(a, p); !why.empty()) {
    return bad_request_page(why);
  }
  if (req.has_param("as")) {
    auto username = req.param("as");
    if (!valid_username(username)) {
      return bad_request_page("as= must be a username (letters, digits, '.', '_').");
    }
    return approve(a, p, a.st.create_account(username));
  }
  return html_reply(200, render_consent(p, a.st.accounts(), a.opts.client_id, ""));
}

reply handle_authorize_decide(app& a, const request& req) {
  auto p = read_authorize(req);
  if (auto why = authorize_problem(a, p); !why.empty()) {
    return bad_request_page(why);
  }
  auto decision = req.param("decision");
  if (decision == "deny") {
    return deny(a, p);
  }
  if (decision != "allow") {
    return consent_again(a, p, "Choose Allow or Deny.");
  }
  auto new_username = req.param("new_username");
  if (!new_username.empty()) {
    if (!valid_username(new_username)) {
      return consent_again(a, p, "A username is 1-30 letters, digits, '.' or '_'.");
    }
    return approve(a, p, a.st.create_account(new_username));
  }
  auto who = a.st.find_account(req.param("account"));
  if (!who) {
    return consent_again(a, p, "Pick an account or type a new username.");
  }
  return approve(a, p, *who);
}

reply handle_access_token(app& a, const request& req) {
  bool legacy = !a.graph();
  for (const char* key : {"client_id", "client_secret", "grant_type", "redirect_uri", "code"}) {
    if (req.param(key).empty()) {
      return oauth_error(legacy ? std::string("You must provide a ") + key
                                : std::string("Missing required parameter: ") + key);
    }
  }
  if (req.param("client_id") != a.opts.client_id) {
    return oauth_error(legacy ? "Invalid Client ID"
                              : "Error validating application. Invalid application ID.");
  }
  if (req.param("client_secret") != a.opts.client_secret) {
    return oauth_error(legacy ? "Invalid Client Secret" : "Error validating client secret.");
  }
  if (req.param("grant_type") != "authorization_code") {
    return oauth_error("Unsupported grant_type: " + req.param("grant_type"));
  }
  grant g;
  switch (a.st.redeem_code(req.param("code"), req.param("client_id"), req.param("redirect_uri"),
                           g)) {
    case code_status::ok:
      break;
    case code_status::expired:
      return oauth_error("This authorization code has expired.");
    case code_status::used:
      return oauth_error("Matching code was not found or was already used");
    case code_status::wrong_redirect:
      return oauth_error(legacy ? "Redirect URI doesn't match original redirect URI"
                                : "Error validating verification code. Please make sure your "
                                  "redirect_uri is identical to the one you used in the OAuth "
                                  "dialog request");
    case code_status::unknown:
    case code_status::wrong_client:
      return oauth_error("Matching code was not found or was already used");
  }
  auto t = a.st.issue_token(g.account_id, a.graph() ? token_kind::short_lived : token_kind::legacy,
                            g.scopes);
  return token_answer(a, req, t);
}

reply handle_exchange_token(app& a, const request& req) {
  if (req.param("grant_type") != "ig_exchange_token") {
    return graph_error(400, 100, "Unsupported grant_type: expected ig_exchange_token");
  }
  if (req.param("client_secret").empty()) {
    return graph_error(400, 100, "Missing required parameter: client_secret");
  }
  if (req.param("client_secret") != a.opts.client_secret) {
    return graph_error(400, 1, "Error validating client secret.");
  }
  if (req.param("access_token").empty()) {
    return graph_error(400, 100, "Missing required parameter: access_token");
  }
  token t;
  if (auto why = a.st.check_token(req.param("access_token"), t); why != token_status::ok) {
    return token_error(a.opts.dia, why);
  }
  if (t.kind != token_kind::short_lived) {
    return graph_error(400, 100,
                       "(#100) Only a short-lived Instagram User access token can be exchanged "
                       "for a long-lived one.",
                       std::nullopt, "IGApiException");
  }
  return long_lived_answer(a.st.issue_token(t.account_id, token_kind::long_lived, t.permissions));
}

reply handle_refresh_token(app& a, const request& req) {
  if (req.param("grant_type") != "ig_refresh_token") {
    return graph_error(400, 100, "Unsupported grant_type: expected ig_refresh_token");
  }
  token t;
  if (auto why = a.st.check_token(req.param("access_token"), t); why != token_status::ok) {
    return token_error(a.opts.dia, why);
  }
  if (t.kind != token_kind::long_lived) {
    return graph_error(400, 100, "(#100) Only a long-lived access token can be refreshed.",
                       std::nullopt, "IGApiException");
  }
  // Meta documents the rule ("at least 24 hours old") but no error for it: the
  // token is still valid, so not 190; the closest documented code is 100.
  if (unix_now() - t.issued_at < refresh_min_age_s) {
    return graph_error(400, 100,
                       "(#100) The access token can not be refreshed yet: a long-lived access "
                       "token can be refreshed once it is at least 24 hours old.",
                       std::nullopt, "IGApiException");
  }
  return long_lived_answer(a.st.issue_token(t.account_id, token_kind::long_lived, t.permissions));
}

} // namespace fakegram
