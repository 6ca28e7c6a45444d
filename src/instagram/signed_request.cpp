#include <strings.h>

#include "bounded_json.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/webhook.hpp"

namespace igbridge {

std::optional<signed_request> decode_signed_request(std::string_view field,
                                                    const std::vector<std::string>& secrets) {
  return decode_signed_request(field, webhook_keys(secrets));
}

std::optional<signed_request> decode_signed_request(std::string_view field,
                                                    const webhook_keys& keys) {
  if (field.size() > detail::max_body_size) {
    return std::nullopt;
  }
  auto dot = field.find('.');
  if (dot == std::string_view::npos || field.find('.', dot + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view sig_part = field.substr(0, dot);
  std::string_view payload_part = field.substr(dot + 1);
  auto sig = base64url_decode(sig_part);
  auto payload = base64url_decode(payload_part);
  if (!sig || !payload || sig->size() != 32) {
    return std::nullopt;
  }
  // The signature is checked before the JSON is even parsed: unsigned input
  // gets no further than this.
  auto key = key_origin::none;
  for (std::size_t i = 0; i < keys.sha256().size(); ++i) {
    bool ok = keys.sha256()[i].verify(payload_part, *sig);
    key = ok && key == key_origin::none ? keys.origin(i) : key;
  }
  if (key == key_origin::none) {
    return std::nullopt;
  }
  auto j = detail::parse_bounded(*payload);
  if (!j.is_object()) {
    return std::nullopt;
  }
  auto algorithm = j.find("algorithm");
  if (algorithm == j.end() || !algorithm->is_string() ||
      strcasecmp(algorithm->get<std::string>().c_str(), "HMAC-SHA256") != 0) {
    return std::nullopt;
  }
  signed_request r;
  r.key = key;
  auto user = j.find("user_id");
  if (user == j.end()) {
    return std::nullopt;
  }
  if (user->is_string() && !user->get<std::string>().empty()) {
    r.user_id = user->get<std::string>();
  } else if (user->is_number_unsigned()) {
    r.user_id = std::to_string(user->get<uint64_t>());
  } else if (user->is_number_integer()) {
    r.user_id = std::to_string(user->get<int64_t>());
  } else {
    return std::nullopt;
  }
  if (auto issued = j.find("issued_at"); issued != j.end() && issued->is_number_integer()) {
    r.issued_at = issued->get<int64_t>();
  }
  return r;
}

} // namespace igbridge
