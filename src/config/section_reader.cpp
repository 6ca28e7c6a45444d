#include "detail.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace igbridge::config_detail {

std::string toml_key(std::string_view key) {
  auto bare = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
           || c == '-';
  };
  if (!key.empty() && std::all_of(key.begin(), key.end(), bare)) {
    return std::string(key);
  }
  std::string out = "\"";
  for (char c : key) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || u == 0x7f) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04X", u);
      out += esc;
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

section_reader::section_reader(const toml::table* tbl, std::string name, problems& out)
    : tbl_(tbl), name_(std::move(name)), out_(out) {
  // nop
}

void section_reader::problem(const std::string& key, std::string message) {
  out_.push_back({dotted(key), std::move(message)});
}

const toml::node* section_reader::find(const char* key) {
  known_.insert(key);
  return tbl_ != nullptr ? tbl_->get(key) : nullptr;
}

void section_reader::wrong_type(const char* key, const char* expected) {
  // The value itself is not echoed: it may be a misplaced secret.
  problem(key, std::string("expected ") + expected);
}

void section_reader::get(const char* key, std::string& value) {
  if (const auto* n = find(key)) {
    if (const auto* s = n->as_string()) {
      value = s->get();
    } else {
      wrong_type(key, "a string");
    }
  }
}

void section_reader::get(const char* key, bool& value) {
  if (const auto* n = find(key)) {
    if (const auto* b = n->as_boolean()) {
      value = b->get();
    } else {
      wrong_type(key, "true or false");
    }
  }
}

void section_reader::get(const char* key, int& value) {
  int64_t wide = value;
  std::size_t before = out_.size();
  get(key, wide);
  if (out_.size() != before) {
    return;
  }
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max()) {
    problem(key, "integer out of range");
    return;
  }
  value = static_cast<int>(wide);
}

void section_reader::get(const char* key, int64_t& value) {
  if (const auto* n = find(key)) {
    if (const auto* i = n->as_integer()) {
      value = i->get();
    } else {
      wrong_type(key, "an integer");
    }
  }
}

void section_reader::get(const char* key, std::vector<std::string>& value) {
  const auto* n = find(key);
  if (n == nullptr) {
    return;
  }
  const auto* arr = n->as_array();
  if (arr == nullptr) {
    wrong_type(key, "an array of strings");
    return;
  }
  std::vector<std::string> result;
  for (const auto& item : *arr) {
    const auto* s = item.as_string();
    if (s == nullptr) {
      wrong_type(key, "an array of strings");
      return;
    }
    result.push_back(s->get());
  }
  value = std::move(result);
}

void section_reader::get(const char* key, std::vector<int64_t>& value) {
  const auto* n = find(key);
  if (n == nullptr) {
    return;
  }
  const auto* arr = n->as_array();
  if (arr == nullptr) {
    wrong_type(key, "an array of integers");
    return;
  }
  std::vector<int64_t> result;
  for (const auto& item : *arr) {
    const auto* i = item.as_integer();
    if (i == nullptr) {
      wrong_type(key, "an array of integers");
      return;
    }
    result.push_back(i->get());
  }
  value = std::move(result);
}

void section_reader::finish() {
  if (tbl_ == nullptr) {
    return;
  }
  for (const auto& [k, v] : *tbl_) {
    std::string key(k.str());
    if (known_.count(key) == 0) {
      problem(toml_key(key), "unknown key");
    }
  }
}

} // namespace igbridge::config_detail
