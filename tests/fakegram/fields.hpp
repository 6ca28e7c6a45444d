#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fakegram {

/// One requested field of graph's field expansion: `name` or `name{a,b{c}}`.
struct field_request {
  std::string name;
  bool expanded = false;              ///< braces were given (maybe empty)
  std::vector<field_request> nested;
};

using field_list = std::vector<field_request>;

/// Parses a `fields=` value ("id,caption,children{id,media_url}"). On a
/// syntax error returns nullopt and a message in graph's words.
std::optional<field_list> parse_fields(std::string_view s, std::string& error);

/// What a node type accepts: plain fields and edges (which take `{…}`).
struct node_fields {
  const char* node_type; ///< as graph names it in errors ("Media", "User")
  std::set<std::string> plain;
  std::set<std::string> edges;
};

/// "" when every field (nested ones against `nested_node`) is known; else
/// the graph error message for the first that is not.
std::string check_fields(const field_list& fields, const node_fields& node,
                         const node_fields* nested_node);

bool wants(const field_list& fields, const std::string& name);
const field_request* find_field(const field_list& fields, const std::string& name);

} // namespace fakegram
