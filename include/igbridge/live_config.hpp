#pragma once
/// @brief The running configuration as a reload last left it (DESIGN §9):
/// SIGHUP re-reads every secret file and log.level, and everything that
/// reads a secret takes an immutable snapshot of this, so a request sees
/// one consistent set and never a half-replaced one.

#include <memory>
#include <string>
#include <vector>

#include "igbridge/config.hpp"
#include "igbridge/webhook.hpp"

namespace igbridge {

struct live_config {
  explicit live_config(config c);
  config cfg;
  /// Signature keys: the Instagram app secret, the Meta App Secret, then
  /// the rotation extras (webhooks and signed_requests verify against all).
  webhook_keys keys;
};

using live_config_ptr = std::shared_ptr<const live_config>;

/// Reads `path` again and returns `running` with what a reload may change
/// taken from it: every secret (client, Meta, verify token, extra webhook
/// secrets, link, admin token, the sink's secrets, events secrets and
/// token; never storage.key_file, which would make the stored tokens
/// unreadable) and log.level. Any problem (named by key) leaves `out` untouched.
std::vector<config_problem> reload_config(const std::string& path, const config& running,
                                          config& out);

} // namespace igbridge
