#include "router.hpp"

#include "assets.hpp"
#include "control.hpp"
#include "demo_page.hpp"
#include "errors.hpp"
#include "media.hpp"
#include "oauth.hpp"
#include "subscriptions.hpp"

#include <iostream>

namespace fakegram {

namespace {

enum class kind {
  control,  ///< /_fake/…: neither counted nor faulted
  page,     ///< demo page, permalinks: neither counted nor faulted
  consent,  ///< the authorize dialog: counted, never faulted (a person is looking at it)
  provider, ///< the API igbridge calls: counted and faulted
};

kind classify(const std::string& path) {
  if (path == "/_fake" || path.rfind("/_fake/", 0) == 0) {
    return kind::control;
  }
  if (path == "/" || path == "/favicon.ico" || path.rfind("/p/", 0) == 0) {
    return kind::page;
  }
  if (path == "/oauth/authorize" || path.rfind("/oauth/authorize/", 0) == 0) {
    return kind::consent;
  }
  return kind::provider;
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

} // namespace

router::router(app& a) : app_(a) {
  // nop
}

plan router::begin(const request& req) {
  plan p;
  auto k = classify(req.path);
  if (k == kind::consent || k == kind::provider) {
    app_.st.count_call(req.method + " " + req.path);
  }
  if (k == kind::provider) {
    p.injected = app_.st.take_fault();
  }
  return p;
}

reply router::finish(const request& req, const plan& p) {
  try {
    if (p.injected) {
      if (p.injected->rate_limit) {
        return fault_rate_limit(app_.opts.dia);
      }
      if (p.injected->status != 0) {
        return fault_status(app_.opts.dia, p.injected->status);
      }
      if (p.injected->malformed) {
        return fault_malformed();
      }
    }
    return dispatch(req);
  } catch (const std::exception& e) {
    // Only a bug gets here; answer rather than drop the connection.
    std::cerr << "fakegram: " << req.method << " " << req.path << " failed: " << e.what() << std::endl;
    return json_reply(500, {{"error", std::string("fakegram internal error: ") + e.what()}});
  }
}

reply router::dispatch(const request& req) {
  switch (classify(req.path)) {
    case kind::control:
      return handle_control(app_, req);
    case kind::page: {
      auto seg = path_segments(req.path);
      if (req.method == "GET" && seg.empty()) {
        return handle_demo_index(app_, req);
      }
      if (req.method == "GET" && seg.size() == 2 && seg[0] == "p") {
        return handle_permalink(app_, req, seg[1]);
      }
      return text_reply(404, "not found\n");
    }
    case kind::consent:
    case kind::provider:
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

reply router::dispatch_graph(const request& req, std::vector<std::string> seg) {
  if (!seg.empty() && is_graph_version(seg.front())) {
    seg.erase(seg.begin());
  }
  const auto& m = req.method;
  if (seg.size() == 1 && seg[0] == "access_token" && m == "GET") {
    return handle_exchange_token(app_, req);
  }
  if (seg.size() == 1 && seg[0] == "refresh_access_token" && m == "GET") {
    return handle_refresh_token(app_, req);
  }
  if (seg.size() == 2 && seg[1] == "subscriptions" && (m == "GET" || m == "POST" || m == "DELETE")) {
    return handle_graph_subscriptions(app_, req, seg[0]);
  }
  if (seg.size() == 2 && seg[1] == "subscribed_apps" && (m == "POST" || m == "DELETE")) {
    return handle_graph_subscribed_apps(app_, req, seg[0]);
  }
  if (seg.size() == 2 && seg[1] == "media" && m == "GET") {
    return handle_graph_media(app_, req, seg[0]);
  }
  if (seg.size() == 1 && m == "GET") {
    return handle_graph_me(app_, req, seg[0]);
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
