#include "igbridge/http_types.hpp"

#include <strings.h>

namespace igbridge {

std::string header_value(const header_list& h, const std::string& name) {
  for (const auto& [k, v] : h) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) {
      return v;
    }
  }
  return {};
}

} // namespace igbridge
