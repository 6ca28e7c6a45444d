// Commands that need only the configuration: check-config and link-url.

#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "igbridge/clock.hpp"
#include "igbridge/link.hpp"
#include "igbridge/text.hpp"

namespace igbridge {

int run_check_config(const std::string& config_path) {
  config cfg;
  if (!load_or_report(config_path, cfg)) {
    return 1;
  }
  std::cout << config_path << ": configuration is valid\n";
  return 0;
}

int run_link_url(const std::string& config_path, const std::string& user, long ttl_s) {
  config cfg;
  if (!load_or_report(config_path, cfg)) {
    return 1;
  }
  if (!valid_user_id(user)) {
    std::cerr << "--user must be 1-256 bytes of UTF-8 without control characters\n";
    return 1;
  }
  auto ttl = ttl_s > 0 ? ttl_s : cfg.link.ttl_s;
  std::cout << make_link_url(cfg.server.public_url, cfg.link.secret, user, unix_now() + ttl)
            << "\n";
  return 0;
}

} // namespace igbridge
