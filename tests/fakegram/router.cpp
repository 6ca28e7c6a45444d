/// Classifies each request (control, page, consent, provider API, CDN),
/// counts it, takes the fault that applies to it, and dispatches it; graph
/// answers get Meta's usage headers.

#include "router.hpp"

#include "assets.hpp"
#include "cdn.hpp"
#include "control.hpp"
#include "demo_page.hpp"
#include "errors.hpp"
#include "faults.hpp"
#include "media.hpp"
#include "oauth.hpp"
#include "subscriptions.hpp"
#include "usage_headers.hpp"

#include <iostream>

namespace fakegram {

namespace {

request_kind classify(const std::string& path) {
  if (path == "/_fake" || path.rfind("/_fake/", 0) == 0) {
    return request_kind::control;
  }
  if (path == "/" || path == "/favicon.ico" || path.rfind("/p/", 0) == 0) {
    return request_kind::page;
  }
  if (path.rfind("/cdn/", 0) == 0) {
    return request_kind::cdn;
  }
  if (path == "/oauth/authorize" || path.rfind("/oauth/authorize/", 0) == 0) {
    return request_kind::consent;
  }
  return request_kind::provider;
}

/// Graph accepts an optional version prefix ("/v21.0/me/media").
bool is_graph_version(const std::string& s) {
  if (s.size() < 4 || s[0] != 'v') {
    return false;
  }
  auto dot = s.find('.');
  if (dot == std::string::npos || dot < 2 || dot + 1 == s.size()) {
    return false;
  }
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (i != dot && (s[i] < '0' || s[i] > '9')) {
      return false;
    }
  }
  return true;
}

/// Whether graph's usage headers belong on the answer: graph API calls, not
/// the api.instagram.com OAuth endpoints.
bool carries_usage(const app& a, const request& req, const plan& p) {
  return a.graph() && p.kind == request_kind::provider && req.path.rfind("/oauth/", 0) != 0;
}

} // namespace

router::router(app& a) : app_(a) {
  // nop
}

plan router::begin(const request& req) {
  plan p;
  p.kind = classify(req.path);
  switch (p.kind) {
    case request_kind::control:
    case request_kind::page:
      break;
    case request_kind::consent:
      app_.st.count_call(req.method + " " + req.path);
      break;
    case request_kind::provider: {
      app_.st.count_call(req.method + " " + req.path);
      // Faults for one account match calls made with any of its tokens, even dead ones.
      token t;
      if (app_.st.check_token(req.param("access_token"), t) != token_status::unknown) {
        p.account_id = t.account_id;
      }
      p.injected = app_.st.take_fault(fault_target::api, p.account_id);
      break;
    }
    case request_kind::cdn:
      app_.st.count_call(req.method + " /cdn");
      p.account_id = cdn_account(app_, req.path);
      p.injected = app_.st.take_fault(fault_target::cdn, p.account_id);
      break;
  }
  return p;
}

reply router::finish(const request& req, const plan& p) {
  try {
    reply r;
    std::optional<reply> injected;
    if (p.injected && p.kind == request_kind::provider) {
      injected = api_fault_reply(app_.opts.dia, *p.injected, p.account_id);
    }
    r = injected ? std::move(*injected) : dispatch(req, p);
    if (carries_usage(app_, req, p)) {
      add_usage_headers(r, p.account_id);
    }
    return r;
  } catch (const std::exception& e) {
    // Only a bug gets here; answer rather than drop the connection.
    std::cerr << "fakegram: " << req.method << " " << req.path << " failed: " << e.what() << std::endl;
    return json_reply(500, {{"error", std::string("fakegram internal error: ") + e.what()}});
  }
}

reply router::dispatch(const request& req, const plan& p) {
  switch (p.kind) {
    case request_kind::control:
      return handle_control(app_, req);
    case request_kind::page: {
      auto seg = path_segments(req.path);
      if (req.method == "GET" && seg.empty()) {
        return handle_demo_index(app_, req);
      }
      if (req.method == "GET" && seg.size() == 2 && seg[0] == "p") {
        return handle_permalink(app_, req, seg[1]);
      }
      return text_reply(404, "not found\n");
    }
    case request_kind::cdn:
      if (req.method != "GET" && req.method != "HEAD") {
        return text_reply(405, "Method Not Allowed\n");
      }
      return handle_cdn(app_, req, p.injected);
    case request_kind::consent:
    case request_kind::provider:
      break;
  }
  auto seg = path_segments(req.path);
  if (seg.size() >= 2 && seg[0] == "oauth") {
    if (seg.size() == 2 && seg[1] == "authorize" && req.method == "GET") {
      return handle_authorize(app_, req);
    }
    if (seg.size() == 3 && seg[1] == "authorize" && seg[2] == "decide"
        && (req.method == "GET" || req.method == "POST")) {
      return handle_authorize_decide(app_, req);
    }
    if (seg.size() == 2 && seg[1] == "access_token" && req.method == "POST") {
      return handle_access_token(app_, req);
    }
    return not_found(app_.opts.dia, req.method, req.path);
  }
  return app_.graph() ? dispatch_graph(req, std::move(seg)) : dispatch_legacy(req, seg);
}

reply router::dispatch_graph(const request& in, std::vector<std::string> seg) {
  request req = in;
  if (!seg.empty() && is_graph_version(seg.front())) {
    req.api_version = seg.front();
    seg.erase(seg.begin());
  }
  const auto& m = req.method;
  if (seg.size() == 1 && seg[0] == "access_token" && m == "GET") {
    return handle_exchange_token(app_, req);
  }
  if (seg.size() == 1 && seg[0] == "refresh_access_token" && m == "GET") {
    return handle_refresh_token(app_, req);
  }
  // The Facebook Graph host's app subscriptions share fakegram's address.
  if (seg.size() == 2 && seg[1] == "subscriptions" && (m == "GET" || m == "POST" || m == "DELETE")) {
    return handle_graph_subscriptions(app_, req, seg[0]);
  }
  if (seg.size() == 2 && seg[1] == "subscribed_apps" && (m == "GET" || m == "POST" || m == "DELETE")) {
    return handle_graph_subscribed_apps(app_, req, seg[0]);
  }
  if (seg.size() == 2 && seg[1] == "media" && m == "GET") {
    return handle_graph_media(app_, req, seg[0]);
  }
  if (seg.size() == 2 && seg[1] == "children" && m == "GET") {
    return handle_graph_children(app_, req, seg[0]);
  }
  if (seg.size() == 1 && m == "GET") {
    return handle_graph_node(app_, req, seg[0]);
  }
  return not_found(app_.opts.dia, m, req.path);
}

reply router::dispatch_legacy(const request& req, const std::vector<std::string>& seg) {
  const auto& m = req.method;
  if (seg.size() == 2 && seg[0] == "v1" && seg[1] == "subscriptions"
      && (m == "GET" || m == "POST" || m == "DELETE")) {
    return handle_legacy_subscriptions(app_, req);
  }
  if (seg.size() == 3 && seg[0] == "v1" && seg[1] == "users" && m == "GET") {
    return handle_legacy_user(app_, req, seg[2]);
  }
  if (seg.size() == 5 && seg[0] == "v1" && seg[1] == "users" && seg[3] == "media"
      && seg[4] == "recent" && m == "GET") {
    return handle_legacy_media(app_, req, seg[2]);
  }
  return not_found(app_.opts.dia, m, req.path);
}

} // namespace fakegram
