#pragma once

#include "dialect.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace fakegram {

/// The command line: where to listen, which dialect, the app credentials.
struct options {
  std::string host;
  unsigned short port = 0;
  dialect dia = dialect::graph;
  std::string client_id;
  std::string client_secret;
  std::string app_id;       ///< Meta app id for /{app_id}/subscriptions (default: client_id)
  std::string webhook_url;  ///< empty: updates are not sent
  std::string verify_token; ///< default hub.verify_token for legacy subscription checks
  bool media_webhooks = false;   ///< graph: send an update per new post (demo only; Meta has none)
  std::int64_t media_url_ttl_s = 86400; ///< CDN media URLs stop serving this long after issue
  std::string deauthorize_url;   ///< igbridge's deauthorize callback
  std::string data_deletion_url; ///< igbridge's data-deletion callback
};

/// Parses argv; on failure returns nullopt and sets `error`.
std::optional<options> parse_options(int argc, char** argv, std::string& error);

/// Usage text.
const char* usage();

} // namespace fakegram
