#pragma once
// The promise both webhook parsers make about the ids they return: distinct,
// non-empty, at most 64 characters of [0-9A-Za-z_-] (webhook_payloads.cpp).

#include <string>
#include <vector>

#include "fuzz_check.hpp"

namespace fuzz {

inline void check_ids(const std::vector<std::string>& ids) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto& id = ids[i];
    FUZZ_CHECK(!id.empty() && id.size() <= 64);
    for (char c : id) {
      FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 c == '_' || c == '-');
    }
    for (std::size_t j = 0; j < i; ++j) {
      FUZZ_CHECK(ids[j] != id);
    }
  }
}

} // namespace fuzz
