/// Graph's field expansion syntax, strictly: comma-separated names of
/// [A-Za-z0-9_], an edge may carry `{…}` with its own list. Anything else is
/// the syntax error graph answers with code 2500.

#include "fields.hpp"

namespace fakegram {

namespace {

class parser {
public:
  explicit parser(std::string_view s) : s_(s) {
    // nop
  }

  std::optional<field_list> run(std::string& error) {
    auto list = parse_list(0, error);
    if (!list) {
      return std::nullopt;
    }
    if (pos_ != s_.size()) {
      error = fail("Expected end of string instead of \"" + std::string(1, s_[pos_]) + "\".");
      return std::nullopt;
    }
    return list;
  }

private:
  static bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }

  void skip_spaces() {
    while (pos_ < s_.size() && s_[pos_] == ' ') {
      ++pos_;
    }
  }

  std::string fail(const std::string& what) const {
    return "Syntax error \"" + what + "\" at character " + std::to_string(pos_) + ": "
           + std::string(s_);
  }

  std::optional<field_list> parse_list(int depth, std::string& error) {
    field_list out;
    if (depth > 4) {
      error = fail("Field expansion is nested too deeply.");
      return std::nullopt;
    }
    for (;;) {
      skip_spaces();
      auto start = pos_;
      while (pos_ < s_.size() && name_char(s_[pos_])) {
        ++pos_;
      }
      if (pos_ == start) {
        // An empty item: "a,,b", a leading or trailing comma, or "a{}".
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ == s_.size() || s_[pos_] == '}') {
          return out;
        }
        error = fail("Expected field name instead of \"" + std::string(1, s_[pos_]) + "\".");
        return std::nullopt;
      }
      field_request f;
      f.name = std::string(s_.substr(start, pos_ - start));
      skip_spaces();
      if (pos_ < s_.size() && s_[pos_] == '{') {
        ++pos_;
        auto nested = parse_list(depth + 1, error);
        if (!nested) {
          return std::nullopt;
        }
        if (pos_ >= s_.size() || s_[pos_] != '}') {
          error = fail("Expected \"}\" instead of end of string.");
          return std::nullopt;
        }
        ++pos_;
        f.expanded = true;
        f.nested = std::move(*nested);
        skip_spaces();
      }
      out.push_back(std::move(f));
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      return out;
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

std::string nonexisting(const std::string& field, const char* node_type) {
  return "(#100) Tried accessing nonexisting field (" + field + ") on node type (" + node_type + ")";
}

} // namespace

std::optional<field_list> parse_fields(std::string_view s, std::string& error) {
  return parser(s).run(error);
}

std::string check_fields(const field_list& fields, const node_fields& node,
                         const node_fields* nested_node) {
  for (const auto& f : fields) {
    bool plain = node.plain.count(f.name) > 0;
    bool edge = node.edges.count(f.name) > 0;
    if (!plain && !edge) {
      return nonexisting(f.name, node.node_type);
    }
    if (f.expanded && plain) {
      return "(#100) Field " + f.name + " does not take sub-fields on node type (" + node.node_type
             + ")";
    }
    if (f.expanded && edge && nested_node != nullptr) {
      if (auto why = check_fields(f.nested, *nested_node, nullptr); !why.empty()) {
        return why;
      }
    }
  }
  return {};
}

const field_request* find_field(const field_list& fields, const std::string& name) {
  for (const auto& f : fields) {
    if (f.name == name) {
      return &f;
    }
  }
  return nullptr;
}

bool wants(const field_list& fields, const std::string& name) {
  return find_field(fields, name) != nullptr;
}

} // namespace fakegram
