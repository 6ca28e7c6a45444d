#include "igbridge/sink_format.hpp"

#include <nlohmann/json.hpp>

#include "igbridge/clock.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/urls.hpp"

namespace igbridge {

namespace {

/// Keeps the record's field order on the wire, so lines read like the
/// record DESIGN §3 documents, with type and timestamp first.
using ordered = nlohmann::ordered_json;

/// The stored record; a record that is somehow not a JSON object is
/// still delivered, as a string, rather than dropped.
ordered record_of(const outbox_entry& e) {
  ordered j = ordered::parse(e.data, nullptr, false);
  if (j.is_discarded()) {
    return ordered(e.data);
  }
  return j;
}

/// Captions are user text: invalid UTF-8 is replaced, never a throw.
std::string dump(const ordered& j) {
  return j.dump(-1, ' ', false, ordered::error_handler_t::replace);
}

std::string text_field(const ordered& record, const char* key) {
  if (!record.is_object()) {
    return {};
  }
  auto it = record.find(key);
  return it != record.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

} // namespace

std::string jsonl_line(const outbox_entry& e, int64_t now) {
  ordered line = ordered::object();
  line["type"] = e.type;
  line["timestamp"] = now;
  ordered record = record_of(e);
  if (record.is_object()) {
    for (auto it = record.begin(); it != record.end(); ++it) {
      if (it.key() != "type" && it.key() != "timestamp") {
        line[it.key()] = it.value();
      }
    }
  } else {
    line["data"] = std::move(record);
  }
  return dump(line) + "\n";
}

std::string standard_webhook_signature(const std::string& secret, const std::string& id,
                                       int64_t timestamp, const std::string& body) {
  static const std::string prefix = "whsec_";
  std::string key = secret;
  if (secret.compare(0, prefix.size(), prefix) == 0) {
    auto decoded = base64_decode(std::string_view(secret).substr(prefix.size()));
    key = decoded ? *decoded : secret.substr(prefix.size());
  }
  std::string signed_content = id + "." + std::to_string(timestamp) + "." + body;
  return "v1," + base64_encode(hmac_sha256(key, signed_content));
}

http_request webhook_request(const std::string& url, const std::string& secret,
                             const outbox_entry& e, int64_t now) {
  ordered payload = ordered::object();
  payload["type"] = e.type;
  payload["timestamp"] = rfc3339(now);
  payload["data"] = record_of(e);

  http_request r;
  r.method = "POST";
  r.url = url;
  r.body = dump(payload);
  r.headers = {{"content-type", "application/json"},
               {"webhook-id", e.id},
               {"webhook-timestamp", std::to_string(now)},
               {"webhook-signature", standard_webhook_signature(secret, e.id, now, r.body)}};
  return r;
}

http_request micropub_request(const std::string& url, const std::string& token,
                              const outbox_entry& e) {
  ordered record = record_of(e);
  params form{{"h", "entry"}, {"content", text_field(record, "caption")}};
  auto add = [&form](const char* key, std::string value) {
    if (!value.empty()) {
      form.emplace_back(key, std::move(value));
    }
  };
  add("photo", text_field(record, "media_url"));
  if (record.is_object()) {
    if (auto tags = record.find("tags"); tags != record.end() && tags->is_array()) {
      for (const auto& t : *tags) {
        if (t.is_string()) {
          form.emplace_back("category[]", t.get<std::string>());
        }
      }
    }
  }
  add("published", text_field(record, "taken_at"));
  add("syndication", text_field(record, "permalink"));

  http_request r;
  r.method = "POST";
  r.url = url;
  r.body = build_query(form);
  r.headers = {{"authorization", "Bearer " + token},
               {"content-type", "application/x-www-form-urlencoded"}};
  return r;
}

} // namespace igbridge
