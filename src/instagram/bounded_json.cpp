#include "bounded_json.hpp"

namespace igbridge::detail {

nlohmann::json parse_bounded(std::string_view text) {
  using json = nlohmann::json;
  if (text.size() > max_body_size) {
    return json(json::value_t::discarded);
  }
  bool too_deep = false;
  // nlohmann parses iteratively, but it would still build the whole deep
  // tree; the callback drops anything below the limit as it is read, so a
  // 100000-deep body costs neither stack nor memory.
  json::parser_callback_t limit = [&too_deep](int depth, json::parse_event_t, json&) {
    if (depth > max_json_depth) {
      too_deep = true;
      return false;
    }
    return !too_deep;
  };
  json j = json::parse(text.begin(), text.end(), limit, false);
  if (too_deep) {
    return json(json::value_t::discarded);
  }
  return j;
}

} // namespace igbridge::detail
