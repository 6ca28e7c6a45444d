#include "igbridge/sink_format.hpp"

#include <optional>

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

/// The keys a JSONL line puts before the event's own: an event whose data
/// has one of them at its top level is rebuilt rather than spliced.
bool line_key(const std::string& k) {
  return k == "type" || k == "event_id" || k == "timestamp";
}

/// Reads a record without building it: whether it is one JSON object with
/// at least one key, none of its own keys one of the line's (line_key).
struct splice_check final : nlohmann::json_sax<nlohmann::json> {
  int depth = 0;
  bool object = false; // the top level is an object
  bool clash = false;
  int keys = 0;

  bool value() { return depth > 0; } // a bare top-level value is no object
  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    object = object || depth == 0;
    ++depth;
    return true;
  }
  bool key(string_t& k) override {
    if (depth == 1) {
      ++keys;
      clash = clash || line_key(k);
    }
    return !clash;
  }
  bool end_object() override {
    --depth;
    return true;
  }
  bool start_array(std::size_t) override { return value() && ++depth > 0; }
  bool end_array() override {
    --depth;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }
};

/// The line as the record's own text behind type, event_id and timestamp,
/// when the record allows it: the same bytes as building the line (the
/// record was dumped by the same library), without parsing and dumping
/// every record again on the delivery path.
std::optional<std::string> spliced_line(const outbox_entry& e, int64_t now) {
  splice_check check;
  if (!nlohmann::json::sax_parse(e.data, &check) || !check.object || check.clash
      || check.keys == 0) {
    return std::nullopt;
  }
  auto open = e.data.find('{');
  auto close = e.data.rfind('}');
  std::string line = R"({"type":)";
  line += dump(ordered(to_string(e.type)));
  line += R"(,"event_id":)";
  line += dump(ordered(e.id));
  line += R"(,"timestamp":)";
  line += std::to_string(now);
  line += ',';
  line.append(e.data, open + 1, close - open);
  line += '\n';
  return line;
}

} // namespace

std::string jsonl_line(const outbox_entry& e, int64_t now) {
  if (auto line = spliced_line(e, now)) {
    return std::move(*line);
  }
  ordered line = ordered::object();
  line["type"] = to_string(e.type);
  line["event_id"] = e.id;
  line["timestamp"] = now;
  ordered record = record_of(e);
  if (record.is_object()) {
    for (auto it = record.begin(); it != record.end(); ++it) {
      if (!line_key(it.key())) {
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

http_request webhook_request(const std::string& url, const std::vector<std::string>& secrets,
                             const outbox_entry& e, int64_t now) {
  ordered payload = ordered::object();
  payload["type"] = to_string(e.type);
  payload["timestamp"] = rfc3339(now);
  payload["data"] = record_of(e);

  http_request r;
  r.method = "POST";
  r.url = url;
  r.body = dump(payload);
  // One signature per secret, space-separated: a receiver accepts the
  // delivery when any of them verifies with the secret it holds.
  std::string signatures;
  for (const auto& secret : secrets) {
    signatures += (signatures.empty() ? "" : " ")
                  + standard_webhook_signature(secret, e.id, now, r.body);
  }
  r.headers = {{"content-type", "application/json"},
               {"webhook-id", e.id},
               {"webhook-timestamp", std::to_string(now)},
               {"webhook-signature", signatures}};
  return r;
}

namespace {

/// The record's tags (its string ones), as Micropub categories.
ordered categories_of(const ordered& record) {
  ordered out = ordered::array();
  if (record.is_object()) {
    if (auto tags = record.find("tags"); tags != record.end() && tags->is_array()) {
      for (const auto& t : *tags) {
        if (t.is_string()) {
          out.push_back(t);
        }
      }
    }
  }
  return out;
}

/// The entry's own properties, without media: content, category, published,
/// syndication (W3C Micropub §3.2 names).
std::vector<std::pair<std::string, std::string>> entry_fields(const ordered& record) {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&out](const char* key, std::string value) {
    if (!value.empty()) {
      out.emplace_back(key, std::move(value));
    }
  };
  add("content", text_field(record, "caption"));
  for (const auto& t : categories_of(record)) {
    out.emplace_back("category", t.get<std::string>());
  }
  add("published", text_field(record, "taken_at"));
  add("syndication", text_field(record, "permalink"));
  return out;
}

http_request bearer_post(const std::string& url, const std::string& token) {
  http_request r;
  r.method = "POST";
  r.url = url;
  r.headers = {{"authorization", "Bearer " + token}};
  return r;
}

std::string multipart_part(const std::string& boundary, const std::string& name,
                           const std::string& value, const std::string& filename = {},
                           const std::string& content_type = {}) {
  std::string p = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"";
  if (!filename.empty()) {
    p += "; filename=\"" + filename + "\"";
  }
  p += "\r\n";
  if (!content_type.empty()) {
    p += "Content-Type: " + content_type + "\r\n";
  }
  return p + "\r\n" + value + "\r\n";
}

} // namespace

std::vector<micropub_media> micropub_media_of(const outbox_entry& e) {
  ordered record = record_of(e);
  std::vector<micropub_media> out;
  if (!record.is_object()) {
    return out;
  }
  if (auto m = record.find("media"); m != record.end() && m->is_array()) {
    for (const auto& item : *m) {
      if (item.is_object()) {
        micropub_media mm;
        mm.video = text_field(item, "type") == "VIDEO";
        mm.url = text_field(item, "url");
        auto sha = text_field(item, "sha256");
        auto ct = text_field(item, "content_type");
        mm.content_type = ct;
        auto slash = ct.find('/');
        auto ext = slash == std::string::npos ? std::string("bin") : ct.substr(slash + 1);
        mm.file = sha + "." + (ext == "jpeg" ? "jpg" : ext == "quicktime" ? "mov" : ext);
        out.push_back(std::move(mm));
      }
    }
    return out;
  }
  micropub_media mm;
  mm.video = text_field(record, "media_type") == "VIDEO";
  mm.url = text_field(record, "media_url");
  if (!mm.url.empty()) {
    out.push_back(std::move(mm));
  }
  return out;
}

http_request micropub_request(const std::string& url, const std::string& token,
                              const outbox_entry& e, const std::string& syntax,
                              const std::vector<micropub_media>& media) {
  ordered record = record_of(e);
  auto fields = entry_fields(record);
  auto r = bearer_post(url, token);
  if (syntax == "json") {
    ordered props = ordered::object();
    for (auto& [k, v] : fields) {
      props[k].push_back(v);
    }
    for (const auto& m : media) {
      props[m.video ? "video" : "photo"].push_back(m.url);
    }
    ordered body{{"type", ordered::array({"h-entry"})}, {"properties", props}};
    r.body = dump(body);
    r.headers.emplace_back("content-type", "application/json");
    return r;
  }
  params form{{"h", "entry"}};
  for (auto& [k, v] : fields) {
    form.emplace_back(k == "category" ? "category[]" : k, v);
  }
  for (const auto& m : media) {
    // One file keeps the plain name, as every Micropub server reads it;
    // several are a list.
    auto key = std::string(m.video ? "video" : "photo") + (media.size() > 1 ? "[]" : "");
    form.emplace_back(key, m.url);
  }
  r.body = build_query(form);
  r.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  return r;
}

http_request micropub_multipart_request(const std::string& url, const std::string& token,
                                        const outbox_entry& e,
                                        const std::vector<micropub_media>& media,
                                        const std::vector<std::string>& bytes) {
  ordered record = record_of(e);
  auto boundary = "igbridge-" + to_hex(random_bytes(12));
  auto r = bearer_post(url, token);
  std::string body = multipart_part(boundary, "h", "entry");
  for (auto& [k, v] : entry_fields(record)) {
    body += multipart_part(boundary, k == "category" ? "category[]" : k, v);
  }
  for (std::size_t i = 0; i < media.size() && i < bytes.size(); ++i) {
    const auto& m = media[i];
    body += multipart_part(boundary, m.video ? "video[]" : "photo[]", bytes[i], m.file,
                           m.content_type);
  }
  body += "--" + boundary + "--\r\n";
  r.body = std::move(body);
  r.headers.emplace_back("content-type", "multipart/form-data; boundary=" + boundary);
  return r;
}

http_request micropub_upload_request(const std::string& endpoint, const std::string& token,
                                     const micropub_media& m, std::string bytes) {
  auto boundary = "igbridge-" + to_hex(random_bytes(12));
  auto r = bearer_post(endpoint, token);
  r.body = multipart_part(boundary, "file", bytes, m.file, m.content_type) + "--" + boundary
           + "--\r\n";
  r.headers.emplace_back("content-type", "multipart/form-data; boundary=" + boundary);
  return r;
}

micropub_changes micropub_changes_of(const outbox_entry& e) {
  micropub_changes c;
  ordered record = record_of(e);
  auto previous = record.is_object() ? record.find("previous") : record.end();
  if (previous != record.end() && previous->is_object()) {
    for (auto it = previous->begin(); it != previous->end(); ++it) {
      const auto& k = it.key();
      c.content = c.content || k == "caption";
      c.category = c.category || k == "tags";
      c.media = c.media || k == "media_type" || k == "children" || k == "media"
                || k == "media_url";
    }
  }
  if (!c.content && !c.category && !c.media) {
    c = {true, true, true}; // nothing named that the post shows: send it all again
  }
  return c;
}

http_request micropub_update_request(const std::string& url, const std::string& token,
                                     const outbox_entry& e, const std::string& post_url,
                                     const std::vector<micropub_media>& media) {
  ordered record = record_of(e);
  auto changes = micropub_changes_of(e);
  ordered replace = ordered::object();
  ordered removed = ordered::array();
  // A property with no value left is deleted (W3C Micropub §3.3.1:
  // "replace" sets values, "delete" removes a property).
  auto set = [&](const char* property, ordered values) {
    if (values.empty()) {
      removed.push_back(property);
    } else {
      replace[property] = std::move(values);
    }
  };
  if (changes.content) {
    auto caption = text_field(record, "caption");
    set("content", caption.empty() ? ordered::array() : ordered::array({caption}));
  }
  if (changes.category) {
    set("category", categories_of(record));
  }
  if (changes.media) {
    ordered photos = ordered::array();
    ordered videos = ordered::array();
    for (const auto& m : media) {
      (m.video ? videos : photos).push_back(m.url);
    }
    set("photo", std::move(photos));
    set("video", std::move(videos));
  }
  ordered body{{"action", "update"}, {"url", post_url}};
  if (!replace.empty()) {
    body["replace"] = std::move(replace);
  }
  if (!removed.empty()) {
    body["delete"] = std::move(removed);
  }
  auto r = bearer_post(url, token);
  r.body = dump(body);
  r.headers.emplace_back("content-type", "application/json");
  return r;
}

http_request micropub_delete_request(const std::string& url, const std::string& token,
                                     const std::string& post_url) {
  auto r = bearer_post(url, token);
  r.body = dump(ordered{{"action", "delete"}, {"url", post_url}});
  r.headers.emplace_back("content-type", "application/json");
  return r;
}

std::string micropub_location(const http_response& r, const std::string& endpoint) {
  auto location = header_value(r.headers, "Location");
  if (location.empty() || location.find_first_of(" \r\n") != std::string::npos) {
    return {};
  }
  if (location.rfind("https://", 0) == 0 || location.rfind("http://", 0) == 0) {
    return location;
  }
  auto base = parse_url(endpoint);
  if (!base) {
    return {};
  }
  if (location.rfind("//", 0) == 0) {
    return base->scheme + ":" + location;
  }
  bool default_port = (base->scheme == "https" && base->port == "443")
                      || (base->scheme == "http" && base->port == "80");
  auto host = base->host.find(':') != std::string::npos ? "[" + base->host + "]" : base->host;
  auto origin = base->scheme + "://" + host + (default_port ? "" : ":" + base->port);
  if (location.front() == '/') {
    return origin + location;
  }
  // Relative to the endpoint's directory (RFC 3986 §5.2, without dot segments).
  auto path = base->target.substr(0, base->target.find('?'));
  return origin + path.substr(0, path.rfind('/') + 1) + location;
}

http_request micropub_config_request(const std::string& url, const std::string& token) {
  http_request r;
  r.url = url + (url.find('?') == std::string::npos ? "?" : "&") + "q=config";
  r.headers = {{"authorization", "Bearer " + token}, {"accept", "application/json"}};
  return r;
}

std::string micropub_media_endpoint(const http_response& r) {
  if (r.status != 200) {
    return {};
  }
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object()) {
    return {};
  }
  auto it = j.find("media-endpoint");
  if (it == j.end() || !it->is_string()) {
    return {};
  }
  auto v = it->get<std::string>();
  return v.rfind("https://", 0) == 0 || v.rfind("http://", 0) == 0 ? v : std::string{};
}

} // namespace igbridge
