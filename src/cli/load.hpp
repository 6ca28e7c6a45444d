#pragma once
// Loading the configuration for a command, reporting every problem with
// its key on stderr.

#include <iostream>
#include <string>

#include "igbridge/config.hpp"

namespace igbridge {

inline bool load_or_report(const std::string& path, config& cfg) {
  auto problems = load_config(path, cfg);
  for (const auto& p : problems) {
    std::cerr << path << ": " << p.key << ": " << p.message << "\n";
  }
  return problems.empty();
}

} // namespace igbridge
