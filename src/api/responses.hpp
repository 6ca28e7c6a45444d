#pragma once
// Building answers for the routes: JSON, small HTML pages, redirects.

#include <string>

#include <nlohmann/json.hpp>

#include "igbridge/http_types.hpp"

namespace igbridge {

inline http_response json_response(int status, const nlohmann::json& body) {
  http_response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = body.dump();
  return r;
}

inline http_response json_error(int status, const std::string& message) {
  return json_response(status, nlohmann::json{{"error", message}});
}

inline std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

/// A minimal self-contained page for people who land on an error; with
/// `href`, a link (`label`) that takes them on.
inline http_response html_page(int status, const std::string& title, const std::string& text,
                               const std::string& href = {}, const std::string& label = {}) {
  http_response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + html_escape(title)
           + "</title><style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em "
             "auto;color:#222}</style></head><body><h1>"
           + html_escape(title) + "</h1><p>" + html_escape(text) + "</p>"
           + (href.empty() ? std::string()
                           : "<p><a href=\"" + html_escape(href) + "\">" + html_escape(label)
                               + "</a></p>")
           + "</body></html>";
  return r;
}

inline http_response redirect(const std::string& location) {
  http_response r;
  r.status = 302;
  r.headers.emplace_back("Location", location);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

/// `base` with `query` appended after '?' or '&'.
inline std::string with_query(const std::string& base, const std::string& query) {
  auto hash = base.find('#');
  std::string head = hash == std::string::npos ? base : base.substr(0, hash);
  std::string frag = hash == std::string::npos ? "" : base.substr(hash);
  return head + (head.find('?') == std::string::npos ? "?" : "&") + query + frag;
}

} // namespace igbridge
