#pragma once
/// @brief Private helpers of the config loader, split by job: reading TOML
/// sections, parsing listen addresses, reading secret files.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "igbridge/config.hpp"

namespace igbridge::config_detail {

using problems = std::vector<config_problem>;

/// Reads typed keys of one TOML table and remembers which keys it was asked
/// about, so that finish() can report every key nobody asked for: a typo
/// ("listn") must be an error, not a silently ignored default.
class section_reader {
public:
  /// `tbl` may be null (section absent): every getter then keeps defaults.
  section_reader(const toml::table* tbl, std::string name, problems& out);

  void get(const char* key, std::string& value);
  void get(const char* key, bool& value);
  void get(const char* key, int& value);
  void get(const char* key, int64_t& value);
  void get(const char* key, std::vector<std::string>& value);
  void get(const char* key, std::vector<int64_t>& value);

  /// Reports unknown keys; call after every get().
  void finish();

  std::string dotted(const std::string& key) const { return name_ + "." + key; }
  void problem(const std::string& key, std::string message);

private:
  const toml::node* find(const char* key);
  void wrong_type(const char* key, const char* expected);

  const toml::table* tbl_;
  std::string name_;
  problems& out_;
  std::set<std::string> known_;
};

/// A key as TOML would spell it in a problem: bare when it can be
/// (A-Z a-z 0-9 _ -), else quoted and escaped, so an empty or odd key still
/// names something ("" rather than nothing).
std::string toml_key(std::string_view key);

/// "HOST:PORT": numeric IPv4, "[IPv6]" or "localhost"; port 0-65535.
std::optional<listen_address> parse_listen(const std::string& text);

/// Replaces $CREDENTIALS_DIRECTORY and ${CREDENTIALS_DIRECTORY}; nullopt when
/// the path refers to it but the variable is unset.
std::optional<std::string> expand_credentials(const std::string& path);

/// Reads a secret file named by `key`; trailing whitespace is trimmed.
/// Problems name the key and the path, never the content.
std::optional<std::string> read_secret(const std::string& key, const std::string& path,
                                       problems& out);

/// A Standard Webhooks secret file: one secret per line ("whsec_<base64>",
/// or raw bytes without the prefix), blank lines skipped, so a host can
/// rotate by adding a line. A "whsec_" line that is not base64 is a problem
/// naming the key and the line, never its content. Empty path: none.
std::vector<std::string> read_webhook_secrets(const std::string& key, const std::string& path,
                                              problems& out);

/// 32 raw bytes, 64 hex characters or base64 of 32 bytes → the raw key.
std::optional<std::string> decode_storage_key(const std::string& file_content);

/// Cross-key rules and dialect defaults, applied once all keys are read.
void validate(config& c, problems& out);
/// Reads every *_file of `c` into its value field.
void read_secrets(config& c, problems& out);
/// The [cluster] table's rules and default node id (validate_cluster.cpp).
void validate_cluster(config::cluster_section& c, problems& out);
/// Checks the cluster's credentials and CA files and resolves their paths.
void read_cluster_files(config::cluster_section& c, problems& out);

} // namespace igbridge::config_detail
