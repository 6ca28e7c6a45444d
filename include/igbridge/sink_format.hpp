#pragma once
/// @brief How each sink spells a delivery: JSONL line, Standard Webhooks
/// request, Micropub form. Pure; the delivery actor does the I/O.

#include <cstdint>
#include <string>
#include <vector>

#include "igbridge/http_types.hpp"
#include "igbridge/records.hpp"

namespace igbridge {

/// One line (with '\n'): {"type":…,"timestamp":…, …record fields…}.
std::string jsonl_line(const outbox_entry& e, int64_t now);

/// Standard Webhooks: POST url, body {"type","timestamp","data"}, headers
/// webhook-id, webhook-timestamp, webhook-signature "v1,<base64>"; `secret`
/// is "whsec_<base64>" (a secret without the prefix is used as raw bytes).
http_request webhook_request(const std::string& url, const std::string& secret,
                             const outbox_entry& e, int64_t now);
/// The v1 signature value for id.timestamp.body.
std::string standard_webhook_signature(const std::string& secret, const std::string& id,
                                       int64_t timestamp, const std::string& body);

/// One file of a Micropub entry: where it is (the stored copy's URL, or
/// Instagram's when no media are kept) and how to upload it.
struct micropub_media {
  bool video = false; // sent as `video`, never `photo`
  std::string url;
  std::string file;   // stored file name ("<sha256>.<ext>"); empty when not stored
  std::string content_type;
};

/// The files of a media.imported entry, in record order.
std::vector<micropub_media> micropub_media_of(const outbox_entry& e);

/// Micropub create (W3C Micropub §3.3/3.4) referencing files by URL:
/// `syntax` "form" (h=entry, content, category[], published, syndication,
/// photo/video) or "json" ({"type":["h-entry"],"properties":{…}}).
http_request micropub_request(const std::string& url, const std::string& token,
                              const outbox_entry& e, const std::string& syntax,
                              const std::vector<micropub_media>& media);

/// Micropub create as multipart/form-data with the files themselves as
/// photo[]/video[] parts (`bytes` in the order of `media`).
http_request micropub_multipart_request(const std::string& url, const std::string& token,
                                        const outbox_entry& e,
                                        const std::vector<micropub_media>& media,
                                        const std::vector<std::string>& bytes);

/// An upload to the media endpoint: multipart with one `file` part.
http_request micropub_upload_request(const std::string& endpoint, const std::string& token,
                                     const micropub_media& m, std::string bytes);

/// GET {url}?q=config, and the "media-endpoint" of its answer ("" if none).
http_request micropub_config_request(const std::string& url, const std::string& token);
std::string micropub_media_endpoint(const http_response& r);

} // namespace igbridge
