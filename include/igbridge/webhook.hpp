#pragma once
/// @brief Instagram's inbound webhooks: signature checks over the raw body,
/// payload parsing for both dialects, and signed_request decoding.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "igbridge/crypto.hpp"

namespace igbridge {

/// Which secret a signature matched (DESIGN §9): the Instagram app's, the
/// Meta app's (Meta's pages leave open which one signs), or one kept while
/// rotating. `none`: no secret matched.
enum class key_origin { none, instagram, meta, extra };
const char* to_string(key_origin k);

/// One secret and where it comes from.
struct labelled_secret {
  std::string value;
  key_origin origin = key_origin::extra;
};

/// The webhook secrets, each keyed once for both digests (hmac_key), so a
/// signature check per request does not hash a secret again. Empty secrets
/// are left out: an unset secret never verifies anything. Shared read-only
/// by every HTTP thread.
class webhook_keys {
public:
  explicit webhook_keys(const std::vector<labelled_secret>& secrets);
  /// Every secret labelled `instagram` (tests, one-off checks).
  explicit webhook_keys(const std::vector<std::string>& secrets);
  const std::vector<hmac_key>& sha256() const { return sha256_; }
  const std::vector<hmac_key>& sha1() const { return sha1_; }
  /// The origin of the key at `i` of sha256() / sha1().
  key_origin origin(std::size_t i) const { return origins_[i]; }

private:
  std::vector<hmac_key> sha256_;
  std::vector<hmac_key> sha1_;
  std::vector<key_origin> origins_;
};

/// graph: header "X-Hub-Signature-256: sha256=<hex>", HMAC-SHA256. Every key
/// is tried whatever matched first, so the time taken tells nothing; the
/// answer names the first key (in the order given) that matched.
key_origin match_sha256_signature(std::string_view header, std::string_view body,
                                  const webhook_keys& keys);
/// legacy: header "X-Hub-Signature: <hex>" or "sha1=<hex>", HMAC-SHA1.
key_origin match_sha1_signature(std::string_view header, std::string_view body,
                                const webhook_keys& keys);
/// Whether any key matched.
bool verify_sha256_signature(std::string_view header, std::string_view body,
                             const webhook_keys& keys);
bool verify_sha1_signature(std::string_view header, std::string_view body,
                           const webhook_keys& keys);
/// The same, keying the secrets for this one call.
bool verify_sha256_signature(std::string_view header, std::string_view body,
                             const std::vector<std::string>& secrets);
bool verify_sha1_signature(std::string_view header, std::string_view body,
                           const std::vector<std::string>& secrets);

/// Maximum number of entries accepted in one payload.
constexpr std::size_t max_webhook_entries = 1000;

/// graph: {"object":"instagram","entry":[{"id":"..."}...]} → distinct ids in
/// order. nullopt when the body is not that shape (wrong types, too many
/// entries, nesting deeper than JSON of this shape needs).
std::optional<std::vector<std::string>> parse_graph_update(std::string_view body);
/// legacy: [{"object":"user","object_id":"...",...}] → distinct ids of user
/// updates; other objects are ignored. nullopt when not that shape.
std::optional<std::vector<std::string>> parse_legacy_update(std::string_view body);

struct signed_request {
  std::string user_id;
  int64_t issued_at = 0;
  key_origin key = key_origin::none; // the secret that signed it
};
/// "sig.payload" (base64url both); HMAC-SHA256 over the payload segment under
/// any of `keys` (all tried, constant time); algorithm must be "HMAC-SHA256";
/// user_id required (string or number). nullopt on any failure.
std::optional<signed_request> decode_signed_request(std::string_view field,
                                                    const webhook_keys& keys);
/// The same, keying the secrets for this one call.
std::optional<signed_request> decode_signed_request(std::string_view field,
                                                    const std::vector<std::string>& secrets);

} // namespace igbridge
