/// The command line.

#include "options.hpp"

#include <string_view>

namespace fakegram {

namespace {

// Accepts "HOST:PORT" and "[V6]:PORT".
bool split_listen(const std::string& s, std::string& host, unsigned short& port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 >= s.size()) {
    return false;
  }
  host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) {
    return false;
  }
  unsigned long value = 0;
  for (char c : s.substr(colon + 1)) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + static_cast<unsigned long>(c - '0');
    if (value > 65535) {
      return false;
    }
  }
  port = static_cast<unsigned short>(value);
  return true;
}

bool parse_seconds(const std::string& s, std::int64_t& out) {
  if (s.empty() || s.size() > 9) {
    return false;
  }
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + (c - '0');
  }
  if (v <= 0) {
    return false;
  }
  out = v;
  return true;
}

/// The flags without a value: the option each one turns on, else nullptr.
bool* switch_of(options& o, std::string_view flag) {
  if (flag == "--media-webhooks") {
    return &o.media_webhooks;
  }
  if (flag == "--cancel-with-state") {
    return &o.cancel_with_state;
  }
  if (flag == "--wrapped-token") {
    return &o.wrapped_token;
  }
  if (flag == "--wrapped-me") {
    return &o.wrapped_me;
  }
  return nullptr;
}

bool http_url(const std::string& s) {
  return s.rfind("http://", 0) == 0 && s.size() > 7;
}

} // namespace

const char* usage() {
  return "usage: fakegram --listen HOST:PORT --dialect graph|legacy --client-id ID --client-secret S\n"
         "                [--app-id ID]             Meta App ID for /{app-id}/subscriptions (default: client id);\n"
         "                                          --meta-app-id is the same flag\n"
         "                [--meta-app-secret S]     Meta App Secret: /{app-id}/subscriptions then accepts only\n"
         "                                          the app token {app-id}|S (else code 190). Without it the\n"
         "                                          client secret stands in, as in one-secret setups (the demo)\n"
         "                [--sign-with instagram|meta] which secret signs graph webhooks (X-Hub-Signature-256)\n"
         "                                          and signed_requests: meta when --meta-app-secret is given,\n"
         "                                          else instagram (the client secret). Legacy X-Hub-Signature\n"
         "                                          always uses the client secret\n"
         "                [--webhook-url URL]       where signed updates go (POST)\n"
         "                [--verify-token T]        legacy subscriptions: default hub.verify_token\n"
         "                [--media-webhooks]        graph: also send an update for every new post. A demo\n"
         "                                          convenience: the real Instagram API has no new-media webhook\n"
         "                [--media-url-ttl-s S]     media_url/thumbnail_url stop serving S s after issue (86400)\n"
         "                [--deauthorize-url URL]   igbridge's deauthorize callback\n"
         "                [--data-deletion-url URL] igbridge's data-deletion callback\n"
         "                [--cancel-with-state]     Deny on the consent page keeps state= in the redirect\n"
         "                                          (default: omitted, as in Meta's sample)\n"
         "                [--wrapped-token]         graph code exchange answers {\"data\":[{...}]}, the documented\n"
         "                                          form (default: flat, user_id a JSON number, as observed)\n"
         "                [--wrapped-me]            graph /me answers {\"data\":[{...}]}, the documented form\n"
         "                                          (default: flat)\n"
         "       fakegram -h|--help                 this text";
}

std::optional<options> parse_options(int argc, char** argv, std::string& error) {
  options opts;
  bool have_listen = false;
  std::string sign_with; // "" until given: its default depends on --meta-app-secret
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "-h" || flag == "--help") {
      error.clear(); // nothing wrong: the caller prints the usage alone
      return std::nullopt;
    }
    if (bool* on = switch_of(opts, flag)) {
      *on = true;
      continue;
    }
    if (i + 1 >= argc) {
      error = "missing value for " + std::string(flag);
      return std::nullopt;
    }
    std::string value = argv[++i];
    if (flag == "--listen") {
      if (!split_listen(value, opts.host, opts.port)) {
        error = "--listen must be HOST:PORT, got '" + value + "'";
        return std::nullopt;
      }
      have_listen = true;
    } else if (flag == "--dialect") {
      if (value == "graph") {
        opts.dia = dialect::graph;
      } else if (value == "legacy") {
        opts.dia = dialect::legacy;
      } else {
        error = "--dialect must be graph or legacy";
        return std::nullopt;
      }
    } else if (flag == "--client-id") {
      opts.client_id = value;
    } else if (flag == "--client-secret") {
      opts.client_secret = value;
    } else if (flag == "--app-id" || flag == "--meta-app-id") {
      opts.app_id = value;
    } else if (flag == "--meta-app-secret") {
      opts.meta_app_secret = value;
    } else if (flag == "--sign-with") {
      if (value != "instagram" && value != "meta") {
        error = "--sign-with must be instagram or meta";
        return std::nullopt;
      }
      sign_with = value;
    } else if (flag == "--webhook-url") {
      if (!http_url(value)) {
        error = "--webhook-url must be an http:// URL";
        return std::nullopt;
      }
      opts.webhook_url = value;
    } else if (flag == "--deauthorize-url") {
      if (!http_url(value)) {
        error = "--deauthorize-url must be an http:// URL";
        return std::nullopt;
      }
      opts.deauthorize_url = value;
    } else if (flag == "--data-deletion-url") {
      if (!http_url(value)) {
        error = "--data-deletion-url must be an http:// URL";
        return std::nullopt;
      }
      opts.data_deletion_url = value;
    } else if (flag == "--media-url-ttl-s") {
      if (!parse_seconds(value, opts.media_url_ttl_s)) {
        error = "--media-url-ttl-s must be a positive number of seconds";
        return std::nullopt;
      }
    } else if (flag == "--verify-token") {
      opts.verify_token = value;
    } else {
      error = "unknown option " + std::string(flag);
      return std::nullopt;
    }
  }
  if (!have_listen || opts.client_id.empty() || opts.client_secret.empty()) {
    error = "--listen, --client-id and --client-secret are required";
    return std::nullopt;
  }
  if (opts.app_id.empty()) {
    opts.app_id = opts.client_id;
  }
  if (sign_with == "meta" && opts.meta_app_secret.empty()) {
    error = "--sign-with meta needs --meta-app-secret";
    return std::nullopt;
  }
  bool meta = sign_with == "meta" || (sign_with.empty() && !opts.meta_app_secret.empty());
  opts.sign_with = meta ? signer::meta : signer::instagram;
  return opts;
}

} // namespace fakegram
