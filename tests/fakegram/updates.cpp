/// Webhook payloads in both dialects' shapes (tests/samples/graph_webhook.json
/// and legacy_update.json), signed the way each dialect signs them.

#include "updates.hpp"

#include "crypto.hpp"

namespace fakegram {

// ordered_json keeps the keys in the order of the samples, which reads better in logs.
using ojson = nlohmann::ordered_json;

signed_update build_graph_change(const std::string& app_secret, const std::string& account_id,
                                 std::int64_t time, const std::string& field,
                                 const ojson& value) {
  ojson change = {{"field", field}, {"value", value}};
  ojson entry = {{"id", account_id}, {"time", time}, {"changes", ojson::array({change})}};
  signed_update u;
  u.body = ojson{{"object", "instagram"}, {"entry", ojson::array({entry})}}.dump();
  u.signature_header = "X-Hub-Signature-256";
  u.signature = "sha256=" + hmac_sha256_hex(app_secret, u.body);
  return u;
}

signed_update build_update(dialect dia, const std::string& client_secret,
                           const std::string& account_id, const std::string& media_id,
                           std::int64_t time, const std::string& subscription_id) {
  if (dia == dialect::graph) {
    return build_graph_change(client_secret, account_id, time, "mentions", {{"media_id", media_id}});
  }
  ojson item = {{"subscription_id", subscription_id}, {"object", "user"},
                {"object_id", account_id}, {"changed_aspect", "media"},
                {"time", time}, {"data", {{"media_id", media_id}}}};
  signed_update u;
  u.body = ojson::array({item}).dump();
  u.signature_header = "X-Hub-Signature";
  u.signature = hmac_sha1_hex(client_secret, u.body);
  return u;
}

} // namespace fakegram
