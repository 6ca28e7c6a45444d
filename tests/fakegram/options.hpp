#pragma once

#include "dialect.hpp"

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
  std::string webhook_url;  ///< empty: updates are not sent
  std::string verify_token; ///< default hub.verify_token for subscription checks
};

/// Parses argv; on failure returns nullopt and sets `error`.
std::optional<options> parse_options(int argc, char** argv, std::string& error);

/// One-line usage text.
const char* usage();

} // namespace fakegram
