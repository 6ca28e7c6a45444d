#pragma once

#include "dialect.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace fakegram {

/// Which app secret signs webhooks (X-Hub-Signature-256) and signed_requests.
enum class signer { instagram, meta };

/// The command line: where to listen, which dialect, the app credentials.
/// An Instagram-Login app has two pairs: the Instagram app (client id and
/// secret, the OAuth client) inside a Meta app (App ID and App Secret).
struct options {
  std::string host;
  unsigned short port = 0;
  dialect dia = dialect::graph;
  std::string client_id;
  std::string client_secret;   ///< the Instagram app secret
  std::string app_id;          ///< Meta App ID for /{app_id}/subscriptions (default: client_id)
  std::string meta_app_secret; ///< Meta App Secret; "": the client secret stands in (old setups)
  signer sign_with = signer::instagram; ///< default meta when a Meta secret is given
  bool cancel_with_state = false; ///< Deny keeps `state` (Meta's sample shows none)
  bool wrapped_token = false;     ///< graph code exchange answers {"data":[{…}]} (the documented form)
  bool wrapped_me = false;        ///< graph /me answers {"data":[{…}]} (the documented form)
  std::string webhook_url;  ///< empty: updates are not sent
  std::string verify_token; ///< default hub.verify_token for legacy subscription checks
  bool media_webhooks = false;   ///< graph: send an update per new post (demo only; Meta has none)
  std::int64_t media_url_ttl_s = 86400; ///< CDN media URLs stop serving this long after issue
  std::string deauthorize_url;   ///< igbridge's deauthorize callback
  std::string data_deletion_url; ///< igbridge's data-deletion callback

  /// The secret of the app access token `{app_id}|{secret}`: the Meta App
  /// Secret, or the client secret when fakegram runs without one.
  const std::string& app_token_secret() const {
    return meta_app_secret.empty() ? client_secret : meta_app_secret;
  }
  /// The secret graph webhooks and signed_requests are signed with.
  const std::string& signing_secret() const {
    return sign_with == signer::meta ? meta_app_secret : client_secret;
  }
};

/// Parses argv; on failure returns nullopt and sets `error` ("" for --help).
std::optional<options> parse_options(int argc, char** argv, std::string& error);

/// Usage text.
const char* usage();

} // namespace fakegram
