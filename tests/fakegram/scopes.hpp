#pragma once

#include "dialect.hpp"

#include <optional>
#include <string>
#include <vector>

namespace fakegram {

/// Splits an authorize `scope` the way Meta reads it: a comma-separated list
/// or a (URL-encoded) space-separated one. Drops empties and repeats.
std::vector<std::string> split_scopes(const std::string& scope);

/// "" when every scope is one the dialect knows and the basic one is there;
/// else the reason the authorize dialog refuses.
std::string scope_problem(dialect dia, const std::vector<std::string>& scopes);

/// The comma-joined list, as the token answer's `permissions` carries it.
std::string join_commas(const std::vector<std::string>& items);

/// Splits "a,b,c" (spaces around items ignored, empties dropped).
std::vector<std::string> split_commas(const std::string& s);

/// Webhook fields of the `instagram` object (Instagram API with Instagram Login).
std::vector<std::string> webhook_field_names(); ///< in alphabetical order
bool known_webhook_field(const std::string& field);

/// The permission a webhook field needs beyond instagram_business_basic; nullopt: none.
std::optional<std::string> scope_for_field(const std::string& field);

} // namespace fakegram
