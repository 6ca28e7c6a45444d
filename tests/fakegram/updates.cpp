/// Webhook payloads in both dialects' shapes (tests/samples/graph_webhook.json
/// and legacy_update.json), signed the way each dialect signs them.

#include "updates.hpp"

#include "crypto.hpp"

namespace fakegram {

// ordered_json keeps the keys in the order of the samples, which reads better in logs.
using ojson = nlohmann::ordered_json;

namespace {

signed_update graph_signed(const std::string& app_secret, const ojson& entry) {
  signed_update u;
  u.body = ojson{{"object", "instagram"}, {"entry", ojson::array({entry})}}.dump();
  u.signature_header = "X-Hub-Signature-256";
  u.signature = "sha256=" + hmac_sha256_hex(app_secret, u.body);
  return u;
}

} // namespace

signed_update build_graph_change(const std::string& app_secret, const std::string& account_id,
                                 std::int64_t time, const std::string& field,
                                 const ojson& value) {
  ojson change = {{"field", field}, {"value", value}};
  return graph_signed(app_secret,
                      {{"id", account_id}, {"time", time}, {"changes", ojson::array({change})}});
}

signed_update build_graph_message(const std::string& app_secret, const std::string& account_id,
                                  const std::string& sender_id, std::int64_t time_ms,
                                  const std::string& mid, const std::string& text) {
  ojson event = {{"sender", {{"id", sender_id}}},
                 {"recipient", {{"id", account_id}}},
                 {"timestamp", time_ms},
                 {"message", {{"mid", mid}, {"text", text}}}};
  return graph_signed(app_secret,
                      {{"id", account_id}, {"time", time_ms}, {"messaging", ojson::array({event})}});
}

signed_update build_update(dialect dia, const std::string& secret,
                           const std::string& account_id, const std::string& media_id,
                           std::int64_t time, const std::string& subscription_id) {
  if (dia == dialect::graph) {
    return build_graph_change(secret, account_id, time, "mentions", {{"media_id", media_id}});
  }
  ojson item = {{"subscription_id", subscription_id}, {"object", "user"},
                {"object_id", account_id}, {"changed_aspect", "media"},
                {"time", time}, {"data", {{"media_id", media_id}}}};
  signed_update u;
  u.body = ojson::array({item}).dump();
  u.signature_header = "X-Hub-Signature";
  u.signature = hmac_sha1_hex(secret, u.body);
  return u;
}

} // namespace fakegram
