#pragma once
/// @brief JSON parsing for hostile bodies: bounded size and nesting depth.

#include <string_view>

#include <nlohmann/json.hpp>

namespace igbridge::detail {

/// Bodies above this are refused before parsing.
constexpr std::size_t max_body_size = 1024 * 1024;
/// Far deeper than any payload of ours; bounds memory and destructor work.
constexpr int max_json_depth = 32;

/// Parses `text`; a discarded value when it is too large, not JSON, or
/// nested deeper than max_json_depth.
nlohmann::json parse_bounded(std::string_view text);

/// Forwards nlohmann's SAX events to `Handler` and stops the parse at the
/// first value nested deeper than max_json_depth: the same limit as
/// parse_bounded (which drops a value whose enclosing containers number
/// more than max_json_depth), without building a DOM.
template <class Handler>
class depth_limited_sax {
public:
  using number_integer_t = nlohmann::json::number_integer_t;
  using number_unsigned_t = nlohmann::json::number_unsigned_t;
  using number_float_t = nlohmann::json::number_float_t;
  using string_t = nlohmann::json::string_t;
  using binary_t = nlohmann::json::binary_t;

  explicit depth_limited_sax(Handler& handler) : handler_(handler) {
    // nop
  }

  bool null() { return shallow() && handler_.null(); }
  bool boolean(bool v) { return shallow() && handler_.boolean(v); }
  bool number_integer(number_integer_t v) { return shallow() && handler_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) { return shallow() && handler_.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t&) {
    return shallow() && handler_.number_float(v);
  }
  bool string(string_t& v) { return shallow() && handler_.string(v); }
  bool binary(binary_t&) { return false; } // not produced by the JSON parser

  bool start_object(std::size_t) {
    if (!shallow()) {
      return false;
    }
    ++depth_;
    return handler_.start_object();
  }
  bool key(string_t& k) { return handler_.key(k); }
  bool end_object() {
    --depth_;
    return handler_.end_object();
  }
  bool start_array(std::size_t) {
    if (!shallow()) {
      return false;
    }
    ++depth_;
    return handler_.start_array();
  }
  bool end_array() {
    --depth_;
    return handler_.end_array();
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

private:
  /// A value (scalar or container) with at most max_json_depth containers
  /// around it; a deeper one ends the parse.
  bool shallow() const { return depth_ <= max_json_depth; }

  Handler& handler_;
  int depth_ = 0;
};

/// Feeds `text` to `handler` (null(), boolean(), number_integer(),
/// number_unsigned(), number_float(), string(), start_object(), key(),
/// end_object(), start_array(), end_array(); each returns false to stop).
/// False when `text` is too large, not one JSON value, nested deeper than
/// max_json_depth, or when the handler stopped.
template <class Handler>
bool sax_parse_bounded(std::string_view text, Handler& handler) {
  if (text.size() > max_body_size) {
    return false;
  }
  depth_limited_sax<Handler> sax(handler);
  return nlohmann::json::sax_parse(text.begin(), text.end(), &sax,
                                   nlohmann::json::input_format_t::json, true);
}

} // namespace igbridge::detail
