#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "detail.hpp"
#include "igbridge/crypto.hpp"

namespace igbridge::config_detail {

namespace {

constexpr std::size_t key_size = 32;
/// Secrets are short; a bound keeps a misconfigured path (a log file, a
/// device) from being slurped into memory.
constexpr std::size_t max_secret_size = 64 * 1024;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string trim_right(std::string s) {
  while (!s.empty() && is_space(s.back())) {
    s.pop_back();
  }
  return s;
}

} // namespace

std::optional<std::string> expand_credentials(const std::string& path) {
  static const std::string braced = "${CREDENTIALS_DIRECTORY}";
  static const std::string plain = "$CREDENTIALS_DIRECTORY";
  if (path.find(plain) == std::string::npos && path.find(braced) == std::string::npos) {
    return path;
  }
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  if (dir == nullptr) {
    return std::nullopt;
  }
  std::string result;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path.compare(i, braced.size(), braced) == 0) {
      result += dir;
      i += braced.size();
    } else if (path.compare(i, plain.size(), plain) == 0) {
      result += dir;
      i += plain.size();
    } else {
      result += path[i++];
    }
  }
  return result;
}

std::optional<std::string> read_secret(const std::string& key, const std::string& path,
                                       problems& out) {
  auto expanded = expand_credentials(path);
  if (!expanded) {
    out.push_back({key, "cannot read " + path + ": $CREDENTIALS_DIRECTORY is not set"});
    return std::nullopt;
  }
  std::FILE* f = std::fopen(expanded->c_str(), "rb");
  if (f == nullptr) {
    out.push_back({key, "cannot read " + *expanded + ": " + std::strerror(errno)});
    return std::nullopt;
  }
  std::string content;
  char buf[4096];
  bool failed = false;
  for (;;) {
    std::size_t n = std::fread(buf, 1, sizeof buf, f);
    content.append(buf, n);
    if (content.size() > max_secret_size) {
      std::fclose(f);
      out.push_back({key, "cannot read " + *expanded + ": larger than 64 KiB"});
      return std::nullopt;
    }
    if (n < sizeof buf) {
      failed = std::ferror(f) != 0;
      break;
    }
  }
  int err = errno;
  std::fclose(f);
  if (failed) {
    out.push_back({key, "cannot read " + *expanded + ": " + std::strerror(err)});
    return std::nullopt;
  }
  // A raw 32-byte key may legitimately end in a whitespace byte; the key
  // decoder gets the untrimmed bytes and decides for itself.
  if (key == "storage.key_file") {
    return content;
  }
  content = trim_right(std::move(content));
  if (content.empty()) {
    out.push_back({key, *expanded + " is empty"});
    return std::nullopt;
  }
  return content;
}

std::vector<std::string> read_webhook_secrets(const std::string& key, const std::string& path,
                                              problems& out) {
  static const std::string prefix = "whsec_";
  std::vector<std::string> secrets;
  if (path.empty()) {
    return secrets;
  }
  auto content = read_secret(key, path, out);
  if (!content) {
    return secrets;
  }
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start <= content->size()) {
    auto end = content->find('\n', start);
    if (end == std::string::npos) {
      end = content->size();
    }
    ++line_no;
    auto line = trim_right(content->substr(start, end - start));
    auto first = line.find_first_not_of(" \t");
    line = first == std::string::npos ? std::string{} : line.substr(first);
    start = end + 1;
    if (line.empty()) {
      continue;
    }
    if (line.compare(0, prefix.size(), prefix) == 0) {
      auto raw = base64_decode(std::string_view(line).substr(prefix.size()));
      if (!raw || raw->empty()) {
        out.push_back({key, "line " + std::to_string(line_no) + " of " + path
                              + ": a whsec_ secret must be base64 after the prefix"});
        continue;
      }
    }
    secrets.push_back(std::move(line));
  }
  return secrets;
}

std::optional<std::string> decode_storage_key(const std::string& file_content) {
  if (file_content.size() == key_size) {
    return file_content;
  }
  std::string text = trim_right(file_content);
  if (text.size() == 2 * key_size) {
    if (auto raw = from_hex(text); raw && raw->size() == key_size) {
      return raw;
    }
  }
  if (auto raw = base64_decode(text); raw && raw->size() == key_size) {
    return raw;
  }
  // `echo -n` forgotten: 32 bytes plus a newline.
  if (text.size() == key_size) {
    return text;
  }
  return std::nullopt;
}

} // namespace igbridge::config_detail
