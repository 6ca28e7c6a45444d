#include <algorithm>
#include <unordered_set>

#include "bounded_json.hpp"
#include "igbridge/webhook.hpp"

namespace igbridge {

namespace {

using json = nlohmann::json;

/// Instagram ids are short digit strings; anything else in an id field is
/// refused so that hostile ids never reach the store or the logs.
constexpr std::size_t max_id_size = 64;

bool plausible_id(const std::string& id) {
  return !id.empty() && id.size() <= max_id_size &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '_' || c == '-';
         });
}

/// An id spelled as a string or an integer (kept digit for digit).
std::optional<std::string> id_value(const json& v) {
  std::string id;
  if (v.is_string()) {
    id = v.get<std::string>();
  } else if (v.is_number_unsigned()) {
    id = std::to_string(v.get<uint64_t>());
  } else if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    id = std::to_string(v.get<int64_t>());
  } else {
    return std::nullopt;
  }
  if (!plausible_id(id)) {
    return std::nullopt;
  }
  return id;
}

/// The ids of a payload in order of first appearance, each once. A set
/// beside the list: a linear search per entry cost a 1000-entry payload
/// half a million string compares before its acknowledgement.
struct distinct_ids {
  std::vector<std::string> ids;
  std::unordered_set<std::string> seen;
  void add(std::string id) {
    if (seen.insert(id).second) {
      ids.push_back(std::move(id));
    }
  }
};

} // namespace

std::optional<std::vector<std::string>> parse_graph_update(std::string_view body) {
  json j = detail::parse_bounded(body);
  if (!j.is_object()) {
    return std::nullopt;
  }
  auto object = j.find("object");
  if (object == j.end() || !object->is_string() || *object != "instagram") {
    return std::nullopt;
  }
  auto entries = j.find("entry");
  if (entries == j.end() || !entries->is_array() || entries->size() > max_webhook_entries) {
    return std::nullopt;
  }
  distinct_ids ids;
  for (const auto& entry : *entries) {
    if (!entry.is_object()) {
      return std::nullopt;
    }
    auto id_field = entry.find("id");
    if (id_field == entry.end()) {
      return std::nullopt;
    }
    auto id = id_value(*id_field);
    if (!id) {
      return std::nullopt;
    }
    if (auto changes = entry.find("changes"); changes != entry.end() && !changes->is_array()) {
      return std::nullopt;
    }
    ids.add(std::move(*id));
  }
  return std::move(ids.ids);
}

std::optional<std::vector<std::string>> parse_legacy_update(std::string_view body) {
  json j = detail::parse_bounded(body);
  if (!j.is_array() || j.size() > max_webhook_entries) {
    return std::nullopt;
  }
  distinct_ids ids;
  for (const auto& update : j) {
    if (!update.is_object()) {
      return std::nullopt;
    }
    auto object = update.find("object");
    if (object == update.end() || !object->is_string()) {
      return std::nullopt;
    }
    if (*object != "user") {
      continue; // tag/location/geography subscriptions are not ours
    }
    auto id_field = update.find("object_id");
    if (id_field == update.end()) {
      return std::nullopt;
    }
    auto id = id_value(*id_field);
    if (!id) {
      return std::nullopt;
    }
    ids.add(std::move(*id));
  }
  return std::move(ids.ids);
}

} // namespace igbridge
