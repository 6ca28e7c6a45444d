/// URL, form, HTML and base64url encoding: the byte-level helpers every
/// handler uses.

#include "codec.hpp"

namespace fakegram {

namespace {

constexpr char hex_digits[] = "0123456789ABCDEF";
constexpr char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

int b64_value(char c) {
  for (int i = 0; i < 64; ++i) {
    if (b64url[i] == c) {
      return i;
    }
  }
  return -1;
}

} // namespace

std::string url_encode(std::string_view s) {
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                      || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex_digits[c >> 4];
      out += hex_digits[c & 15];
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
    } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

params parse_query(std::string_view q) {
  params out;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (part.empty()) {
      continue;
    }
    auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      out[url_decode(part)] = "";
    } else {
      out[url_decode(part.substr(0, eq))] = url_decode(part.substr(eq + 1));
    }
  }
  return out;
}

std::string build_query(const param_list& items) {
  std::string out;
  for (const auto& [key, value] : items) {
    if (!out.empty()) {
      out += '&';
    }
    out += url_encode(key);
    out += '=';
    out += url_encode(value);
  }
  return out;
}

std::string append_query(const std::string& url, const std::string& query) {
  if (query.empty()) {
    return url;
  }
  // A fragment must stay last; callers never pass one, but be correct anyway.
  auto hash = url.find('#');
  std::string base = url.substr(0, hash);
  std::string fragment = hash == std::string::npos ? "" : url.substr(hash);
  char sep = base.find('?') == std::string::npos ? '?' : '&';
  if (!base.empty() && (base.back() == '?' || base.back() == '&')) {
    return base + query + fragment;
  }
  return base + sep + query + fragment;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
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

std::string base64url_encode(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(s[k])); };
  for (; i + 2 < s.size(); i += 3) {
    unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += b64url[(v >> 18) & 63];
    out += b64url[(v >> 12) & 63];
    out += b64url[(v >> 6) & 63];
    out += b64url[v & 63];
  }
  if (s.size() - i == 1) {
    unsigned v = byte(i) << 16;
    out += b64url[(v >> 18) & 63];
    out += b64url[(v >> 12) & 63];
  } else if (s.size() - i == 2) {
    unsigned v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += b64url[(v >> 18) & 63];
    out += b64url[(v >> 12) & 63];
    out += b64url[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view s) {
  while (!s.empty() && s.back() == '=') {
    s.remove_suffix(1);
  }
  if (s.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : s) {
    int v = b64_value(c);
    if (v < 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

} // namespace fakegram
