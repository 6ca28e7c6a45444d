#include "updates.hpp"

#include "crypto.hpp"

#include <nlohmann/json.hpp>

namespace fakegram {

signed_update build_update(dialect dia, const std::string& client_secret,
                           const std::string& account_id, const std::string& media_id,
                           std::int64_t time, const std::string& subscription_id) {
  // ordered_json keeps the keys in the order of the samples, which reads better in logs.
  using ojson = nlohmann::ordered_json;
  signed_update u;
  if (dia == dialect::graph) {
    ojson change = {{"field", "mentions"}, {"value", {{"media_id", media_id}}}};
    ojson entry = {{"id", account_id}, {"time", time}, {"changes", ojson::array({change})}};
    u.body = ojson{{"object", "instagram"}, {"entry", ojson::array({entry})}}.dump();
    u.signature_header = "X-Hub-Signature-256";
    u.signature = "sha256=" + hmac_sha256_hex(client_secret, u.body);
  } else {
    ojson item = {{"subscription_id", subscription_id}, {"object", "user"},
                  {"object_id", account_id}, {"changed_aspect", "media"},
                  {"time", time}, {"data", {{"media_id", media_id}}}};
    u.body = ojson::array({item}).dump();
    u.signature_header = "X-Hub-Signature";
    u.signature = hmac_sha1_hex(client_secret, u.body);
  }
  return u;
}

} // namespace fakegram
