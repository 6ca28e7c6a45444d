#pragma once
/// @brief How each sink spells a delivery: JSONL line, Standard Webhooks
/// request, Micropub form. Pure; the delivery actor does the I/O.

#include <cstdint>
#include <string>

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

/// Micropub form POST (h=entry, content, photo, category[], published,
/// syndication) with Authorization: Bearer; only media.imported entries.
http_request micropub_request(const std::string& url, const std::string& token,
                              const outbox_entry& e);

} // namespace igbridge
