/// Requests and replies as plain structs, so handlers never see Beast.

#include "http_types.hpp"

namespace fakegram {

std::string request::param(const std::string& key) const {
  if (auto it = form.find(key); it != form.end()) {
    return it->second;
  }
  if (auto it = query.find(key); it != query.end()) {
    return it->second;
  }
  return {};
}

bool request::has_param(const std::string& key) const {
  return form.count(key) > 0 || query.count(key) > 0;
}

request make_request(std::string method, std::string target, std::string body,
                     std::string content_type, std::string host,
                     const std::string& authorization) {
  request req;
  req.method = std::move(method);
  req.target = std::move(target);
  auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) {
    req.query = parse_query(std::string_view(req.target).substr(q + 1));
  }
  req.content_type = std::move(content_type);
  req.body = std::move(body);
  req.host = std::move(host);
  if (req.content_type.find("application/x-www-form-urlencoded") != std::string::npos) {
    req.form = parse_query(req.body);
  }
  const std::string bearer = "Bearer ";
  if (authorization.size() > bearer.size() && authorization.compare(0, bearer.size(), bearer) == 0
      && !req.has_param("access_token")) {
    req.query["access_token"] = authorization.substr(bearer.size());
  }
  return req;
}

reply json_reply(unsigned status, const nlohmann::json& body) {
  reply r;
  r.status = status;
  r.content_type = "application/json; charset=UTF-8";
  // `replace` keeps a broken UTF-8 caption from throwing on dump.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

reply html_reply(unsigned status, std::string html) {
  reply r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(html);
  return r;
}

reply text_reply(unsigned status, std::string text, std::string content_type) {
  reply r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(text);
  return r;
}

reply redirect_reply(const std::string& location) {
  reply r;
  r.status = 302;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<a href=\"" + html_escape(location) + "\">continue</a>\n";
  r.headers.emplace_back("Location", location);
  return r;
}

std::vector<std::string> path_segments(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto next = path.find('/', i);
    std::string raw = path.substr(i, next == std::string::npos ? std::string::npos : next - i);
    // Path segments never use '+' for space: protect it from the form decoder.
    std::string protected_raw;
    for (char c : raw) {
      protected_raw += c == '+' ? std::string("%2B") : std::string(1, c);
    }
    std::string decoded = url_decode(protected_raw);
    out.push_back(decoded);
    i = next == std::string::npos ? path.size() : next;
  }
  return out;
}

} // namespace fakegram
