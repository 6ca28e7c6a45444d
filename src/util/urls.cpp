#include "igbridge/urls.hpp"

#include <cctype>

#include "igbridge/text.hpp"

namespace igbridge {

namespace {

bool unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 5) {
    return false;
  }
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

} // namespace

std::string url_encode(std::string_view s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (unreserved(c)) {
      out += ch;
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 0xf];
    }
  }
  return out;
}

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < s.size() && hex_digit_value(s[i + 1]) >= 0
               && hex_digit_value(s[i + 2]) >= 0) {
      out += char((hex_digit_value(s[i + 1]) << 4) | hex_digit_value(s[i + 2]));
      i += 2;
    } else {
      // A stray '%' is kept as is: lenient with untrusted input, never throws.
      out += c;
    }
  }
  return out;
}

params parse_query(std::string_view q) {
  params out;
  if (!q.empty() && q.front() == '?') {
    q.remove_prefix(1);
  }
  while (!q.empty()) {
    auto amp = q.find('&');
    auto part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (part.empty()) {
      continue;
    }
    auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(url_decode(part), std::string{});
    } else {
      out.emplace_back(url_decode(part.substr(0, eq)), url_decode(part.substr(eq + 1)));
    }
  }
  return out;
}

std::string build_query(const params& p) {
  std::string out;
  for (const auto& [k, v] : p) {
    if (!out.empty()) {
      out += '&';
    }
    out += url_encode(k);
    out += '=';
    out += url_encode(v);
  }
  return out;
}

std::optional<std::string> param(const params& p, std::string_view key) {
  for (const auto& [k, v] : p) {
    if (k == key) {
      return v;
    }
  }
  return std::nullopt;
}

std::optional<url_parts> parse_url(std::string_view url) {
  url_parts out;
  auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    return std::nullopt;
  }
  std::string scheme;
  for (char c : url.substr(0, sep)) {
    scheme += char(std::tolower(static_cast<unsigned char>(c)));
  }
  if (scheme != "http" && scheme != "https") {
    return std::nullopt;
  }
  out.scheme = scheme;
  auto rest = url.substr(sep + 3);
  auto path_start = rest.find_first_of("/?#");
  auto authority = rest.substr(0, path_start);
  auto tail = path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
  // Userinfo in a URL would be a credential in a log line; refuse it.
  if (authority.find('@') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos || close == 1) {
      return std::nullopt;
    }
    out.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return std::nullopt;
      }
      port = after.substr(1);
      if (port.empty()) {
        return std::nullopt;
      }
    }
  } else {
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      authority = authority.substr(0, colon);
      if (port.empty()) {
        return std::nullopt;
      }
    }
    out.host = std::string(authority);
  }
  if (out.host.empty()) {
    return std::nullopt;
  }
  if (!port.empty()) {
    if (!all_digits(port)) {
      return std::nullopt;
    }
    int value = std::stoi(std::string(port));
    if (value < 1 || value > 65535) {
      return std::nullopt;
    }
    out.port = std::to_string(value);
  } else {
    out.port = out.scheme == "https" ? "443" : "80";
  }
  // The fragment never goes on the wire.
  auto hash = tail.find('#');
  if (hash != std::string_view::npos) {
    tail = tail.substr(0, hash);
  }
  out.target = std::string(tail);
  if (out.target.empty() || out.target.front() != '/') {
    out.target.insert(0, "/");
  }
  return out;
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto part = trim_blanks(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    if (trim_blanks(part.substr(0, eq)) == name) {
      auto v = trim_blanks(part.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
        v = v.substr(1, v.size() - 2);
      }
      return std::string(v);
    }
  }
  return std::nullopt;
}

} // namespace igbridge
