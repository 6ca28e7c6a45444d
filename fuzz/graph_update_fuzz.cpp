// The graph dialect's webhook body (POST /hooks/instagram, after the
// signature check): parse_graph_update must refuse anything not of the
// documented shape and never hand on an id that could hurt the store or the
// logs.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "id_checks.hpp"
#include "igbridge/webhook.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto ids = igbridge::parse_graph_update(body);
  if (ids) {
    FUZZ_CHECK(ids->size() <= igbridge::max_webhook_entries);
    fuzz::check_ids(*ids);
  }
  return 0;
}
