// The snapshot a reload swaps in, and what a reload may change: secrets and
// the log level. Everything else (listeners, storage, sink type, ...) needs
// a restart, so a reload never half-applies a change to it.

#include "igbridge/live_config.hpp"

namespace igbridge {

namespace {

std::vector<labelled_secret> signature_secrets(const config& c) {
  std::vector<labelled_secret> out{{c.instagram.client_secret, key_origin::instagram},
                                   {c.instagram.meta_app_secret, key_origin::meta}};
  for (const auto& s : c.instagram.extra_webhook_secrets) {
    out.push_back({s, key_origin::extra});
  }
  return out;
}

} // namespace

live_config::live_config(config c) : cfg(std::move(c)), keys(signature_secrets(cfg)) {
  // nop
}

std::vector<config_problem> reload_config(const std::string& path, const config& running,
                                          config& out) {
  config fresh;
  auto problems = load_config(path, fresh);
  if (!problems.empty()) {
    return problems;
  }
  out = running;
  auto& ig = out.instagram;
  ig.client_secret_file = fresh.instagram.client_secret_file;
  ig.meta_app_secret_file = fresh.instagram.meta_app_secret_file;
  ig.verify_token_file = fresh.instagram.verify_token_file;
  ig.extra_webhook_secret_files = fresh.instagram.extra_webhook_secret_files;
  out.link.secret_file = fresh.link.secret_file;
  out.admin.token_file = fresh.admin.token_file;
  out.sink.secret_file = fresh.sink.secret_file;
  out.sink.token_file = fresh.sink.token_file;
  out.sink.events_secret_file = fresh.sink.events_secret_file;
  ig.client_secret = fresh.instagram.client_secret;
  ig.meta_app_secret = fresh.instagram.meta_app_secret;
  ig.verify_token = fresh.instagram.verify_token;
  ig.extra_webhook_secrets = fresh.instagram.extra_webhook_secrets;
  out.link.secret = fresh.link.secret;
  out.admin.token = fresh.admin.token;
  out.sink.secrets = fresh.sink.secrets;
  out.sink.token = fresh.sink.token;
  out.sink.events_secrets = fresh.sink.events_secrets;
  out.log.level = fresh.log.level;
  return {};
}

} // namespace igbridge
