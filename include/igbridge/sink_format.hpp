#pragma once
/// @brief How each sink spells a delivery: JSONL line, Standard Webhooks
/// request, Micropub form. Pure; the delivery actor does the I/O.

#include <cstdint>
#include <string>
#include <vector>

#include "igbridge/http_types.hpp"
#include "igbridge/records.hpp"

namespace igbridge {

/// One line (with '\n') per event: {"type":…,"event_id":…,"timestamp":…,
/// …the event's data fields…} (docs/events.md).
std::string jsonl_line(const outbox_entry& e, int64_t now);

/// Standard Webhooks: POST url, body {"type","timestamp","data"}, headers
/// webhook-id (the event_id), webhook-timestamp, webhook-signature with one
/// "v1,<base64>" per secret, space-separated; each secret is
/// "whsec_<base64>" (one without the prefix is used as raw bytes).
http_request webhook_request(const std::string& url, const std::vector<std::string>& secrets,
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

/// What a media.updated changes on the host's post, from the fields its
/// `previous` names: caption → content, tags → category, media_type or
/// children → photo/video. All three when it names none of them.
struct micropub_changes {
  bool content = false;
  bool category = false;
  bool media = false;
};
micropub_changes micropub_changes_of(const outbox_entry& e);

/// Micropub update (W3C Micropub §3.3, JSON): {"action":"update","url":
/// post_url,"replace":{…the changed properties…}}, and "delete":[…] for a
/// changed property left without values (a caption emptied, the last tag
/// removed, photo after a post became a video). `media` as for a create.
http_request micropub_update_request(const std::string& url, const std::string& token,
                                     const outbox_entry& e, const std::string& post_url,
                                     const std::vector<micropub_media>& media);

/// Micropub delete (W3C Micropub §3.4, JSON): {"action":"delete","url":post_url}.
http_request micropub_delete_request(const std::string& url, const std::string& token,
                                     const std::string& post_url);

/// The post's URL from a create's answer: its Location, made absolute
/// against `endpoint` when the server gave a relative one; "" when none.
std::string micropub_location(const http_response& r, const std::string& endpoint);

/// GET {url}?q=config, and the "media-endpoint" of its answer ("" if none).
http_request micropub_config_request(const std::string& url, const std::string& token);
std::string micropub_media_endpoint(const http_response& r);

} // namespace igbridge
