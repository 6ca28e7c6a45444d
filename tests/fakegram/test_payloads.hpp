#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace fakegram {

/// The `value` the App Dashboard's "Test" button sends for a webhook field of
/// the instagram object (Meta's sample data: ids like "232323232", texts like
/// "This is an example."); nullopt for a field the object does not have.
std::optional<nlohmann::ordered_json> test_payload_value(const std::string& field);

} // namespace fakegram
