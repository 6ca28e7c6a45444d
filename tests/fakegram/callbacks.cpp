/// Deliveries a test triggers on demand: webhooks Instagram Login really
/// sends (a `mentions` change, a direct message in `messaging[]`, the App
/// Dashboard's "Test" payload for a field; unlike --media-webhooks) and
/// Meta's deauthorize / data-deletion callbacks. All are signed with the
/// --sign-with secret. They run synchronously so the control answer can say
/// what igbridge answered; the blocking call holds one of the listener's io
/// threads only, and igbridge answers from its own process.

#include "callbacks.hpp"

#include "crypto.hpp"
#include "http_client.hpp"
#include "signed_request.hpp"
#include "test_payloads.hpp"
#include "timefmt.hpp"
#include "updates.hpp"

#include <set>

namespace fakegram {

namespace {

using json = nlohmann::json;

constexpr std::chrono::seconds delivery_timeout{10};

reply error_reply(unsigned status, const std::string& message) {
  return json_reply(status, {{"error", message}});
}

/// An optional JSON object body with only `allowed` keys; "" when fine.
std::string read_body(const request& req, const std::set<std::string>& allowed, json& out) {
  out = json::object();
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return {};
  }
  out = json::parse(req.body, nullptr, false);
  if (out.is_discarded() || !out.is_object()) {
    return "the body must be a JSON object";
  }
  for (const auto& [key, value] : out.items()) {
    if (allowed.count(key) == 0) {
      return "unknown key '" + key + "'";
    }
  }
  return {};
}

std::optional<std::string> string_key(const json& body, const char* key, std::string& error) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    return std::nullopt;
  }
  if (!it->is_string() || it->get<std::string>().empty() || it->get<std::string>().size() > 256) {
    error = std::string(key) + " must be a non-empty string";
    return std::nullopt;
  }
  return it->get<std::string>();
}

/// `{"status","body"}`: igbridge's status and its answer (JSON when it is JSON).
reply delivery_answer(const client_result& res, const std::string& what, json extra) {
  if (res.status == 0) {
    return json_reply(502, {{"status", 0}, {"error", "could not deliver " + what + ": " + res.error}});
  }
  auto parsed = json::parse(res.body, nullptr, false);
  extra["status"] = res.status;
  extra["body"] = parsed.is_discarded() ? json(res.body) : parsed;
  return json_reply(200, extra);
}

std::string fake_graph_id() {
  // 17-digit ids, like media and comment ids.
  return "179" + std::to_string(10000000000000ULL + std::stoull(random_hex(5), nullptr, 16));
}

/// "" when fakegram can send graph webhooks; else why not.
std::string webhook_problem(const app& a) {
  if (!a.graph()) {
    return "this is a graph webhook; this fakegram runs legacy";
  }
  if (a.opts.webhook_url.empty()) {
    return "fakegram runs without --webhook-url";
  }
  return {};
}

/// POSTs a signed update to --webhook-url now, logs it for the demo page and
/// answers with igbridge's status and body, and the update that was sent.
reply deliver_now(app& a, const signed_update& u, const std::string& what,
                  const std::string& account_id) {
  auto res = http_call("POST", a.opts.webhook_url, u.body,
                       {{"Content-Type", "application/json"}, {u.signature_header, u.signature}},
                       delivery_timeout);
  a.st.log_notification({unix_now(), what, account_id, res.status, res.error});
  return delivery_answer(res, "the " + what, {{"update", json::parse(u.body)}});
}

} // namespace

reply handle_mention(app& a, const request& req, const account& who) {
  if (auto why = webhook_problem(a); !why.empty()) {
    return error_reply(a.graph() ? 409 : 400, why);
  }
  json body;
  if (auto why = read_body(req, {"media_id", "comment_id"}, body); !why.empty()) {
    return error_reply(400, why);
  }
  std::string error;
  auto media_id = string_key(body, "media_id", error);
  auto comment_id = string_key(body, "comment_id", error);
  if (!error.empty()) {
    return error_reply(400, error);
  }
  nlohmann::ordered_json value = {{"media_id", media_id.value_or(fake_graph_id())},
                                  {"comment_id", comment_id.value_or(fake_graph_id())}};
  auto u = build_graph_change(a.opts.signing_secret(), who.id, unix_now(), "mentions", value);
  return deliver_now(a, u, "mention", who.id);
}

reply handle_message(app& a, const request& req, const account& who) {
  if (auto why = webhook_problem(a); !why.empty()) {
    return error_reply(a.graph() ? 409 : 400, why);
  }
  json body;
  if (auto why = read_body(req, {"text", "sender"}, body); !why.empty()) {
    return error_reply(400, why);
  }
  std::string error;
  auto text = string_key(body, "text", error);
  auto sender = string_key(body, "sender", error);
  if (!error.empty()) {
    return error_reply(400, error);
  }
  // Message ids are opaque base64 strings on Instagram.
  auto mid = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE" + base64url_encode(random_hex(12));
  auto u = build_graph_message(a.opts.signing_secret(), who.id, sender.value_or(fake_graph_id()),
                               unix_now_ms(), mid, text.value_or("Hello from fakegram"));
  return deliver_now(a, u, "message", who.id);
}

reply handle_test_webhook(app& a, const request& req) {
  if (auto why = webhook_problem(a); !why.empty()) {
    return error_reply(a.graph() ? 409 : 400, why);
  }
  json body;
  if (auto why = read_body(req, {"field"}, body); !why.empty()) {
    return error_reply(400, why);
  }
  std::string error;
  auto field = string_key(body, "field", error);
  if (!field) {
    return error_reply(400, "field must name a webhook field of the instagram object");
  }
  auto value = test_payload_value(*field);
  if (!value) {
    return error_reply(400, "unknown webhook field '" + *field + "'");
  }
  // The dashboard's test names no account: entry id "0".
  auto u = build_graph_change(a.opts.signing_secret(), "0", unix_now(), *field, *value);
  return deliver_now(a, u, "test " + *field, "0");
}

reply handle_signed_request_callback(app& a, const request& req, const account& who,
                                     bool data_deletion) {
  const auto& url = data_deletion ? a.opts.data_deletion_url : a.opts.deauthorize_url;
  const char* what = data_deletion ? "data-deletion" : "deauthorize";
  if (url.empty()) {
    return error_reply(409, std::string("fakegram runs without --") + what + "-url");
  }
  json body;
  if (auto why = read_body(req, {"issued_at", "user_id", "revoke"}, body); !why.empty()) {
    return error_reply(400, why);
  }
  std::int64_t issued_at = unix_now();
  if (auto it = body.find("issued_at"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0
        || it->get<std::int64_t>() > 99999999999LL) {
      return error_reply(400, "issued_at must be unix seconds");
    }
    issued_at = it->get<std::int64_t>();
  }
  bool revoke = true;
  if (auto it = body.find("revoke"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) {
      return error_reply(400, "revoke must be a boolean");
    }
    revoke = it->get<bool>();
  }
  std::string error;
  auto user_id = string_key(body, "user_id", error).value_or(who.app_scoped_id);
  if (!error.empty()) {
    return error_reply(400, error);
  }
  // The person removed the app: their tokens stop working before Meta calls back.
  int revoked = revoke ? a.st.revoke_tokens(who.id) : 0;
  auto sr = make_signed_request(a.opts.signing_secret(), user_id, issued_at);
  auto res = http_call("POST", url, build_query({{"signed_request", sr}}),
                       {{"Content-Type", "application/x-www-form-urlencoded"}}, delivery_timeout);
  a.st.log_notification({unix_now(), what, who.id, res.status, res.error});
  return delivery_answer(res, what, {{"signed_request", sr}, {"revoked", revoked}});
}

} // namespace fakegram
