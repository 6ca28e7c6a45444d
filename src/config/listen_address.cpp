#include "igbridge/config.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "detail.hpp"

namespace igbridge {

namespace {

bool is_ipv4(const std::string& s, in_addr* out = nullptr) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) {
    return false;
  }
  if (out != nullptr) {
    *out = a;
  }
  return true;
}

bool is_ipv6(const std::string& s, in6_addr* out = nullptr) {
  in6_addr a{};
  if (inet_pton(AF_INET6, s.c_str(), &a) != 1) {
    return false;
  }
  if (out != nullptr) {
    *out = a;
  }
  return true;
}

} // namespace

bool listen_address::is_loopback() const {
  if (host == "localhost") {
    return true;
  }
  in_addr v4{};
  if (is_ipv4(host, &v4)) {
    // 127.0.0.0/8: the first octet of the network-order address.
    return reinterpret_cast<const unsigned char*>(&v4.s_addr)[0] == 127;
  }
  in6_addr v6{};
  if (is_ipv6(host, &v6)) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) {
      return true;
    }
    // ::ffff:127.x.y.z reaches the IPv4 loopback as well.
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

std::string listen_address::to_string() const {
  if (host.find(':') != std::string::npos) {
    return "[" + host + "]:" + std::to_string(port);
  }
  return host + ":" + std::to_string(port);
}

namespace config_detail {

std::optional<listen_address> parse_listen(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) {
    return std::nullopt;
  }
  std::string host = text.substr(0, colon);
  std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  unsigned long number = std::stoul(port);
  if (number > 65535) {
    return std::nullopt;
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (!is_ipv6(host)) {
      return std::nullopt;
    }
  } else if (host != "localhost" && !is_ipv4(host)) {
    // Host names other than localhost are refused: resolving at start-up
    // would make the bound address depend on DNS.
    return std::nullopt;
  }
  return listen_address{host, static_cast<uint16_t>(number)};
}

} // namespace config_detail

} // namespace igbridge
