#include "igbridge/link.hpp"

#include <charconv>

#include "igbridge/crypto.hpp"
#include "igbridge/urls.hpp"

namespace igbridge {

std::string link_signature(std::string_view secret, std::string_view user, int64_t exp) {
  std::string msg;
  msg.reserve(user.size() + 21);
  msg.append(user).append(".").append(std::to_string(exp));
  return to_hex(hmac_sha256(secret, msg));
}

std::string make_link_url(std::string_view public_url, std::string_view secret,
                          std::string_view user, int64_t exp) {
  std::string base(public_url);
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  return base + "/oauth/instagram/start?user=" + url_encode(user)
         + "&exp=" + std::to_string(exp) + "&sig=" + link_signature(secret, user, exp);
}

link_check verify_link(std::string_view secret, std::string_view user, std::string_view exp,
                       std::string_view sig, int64_t now) {
  if (user.empty() || exp.empty() || sig.empty()) {
    return link_check::malformed;
  }
  // Only plain decimal digits: "+5" or " 5" would sign differently than they parse.
  for (char c : exp) {
    if (c < '0' || c > '9') {
      return link_check::malformed;
    }
  }
  int64_t t = 0;
  auto [end, ec] = std::from_chars(exp.data(), exp.data() + exp.size(), t);
  if (ec != std::errc{} || end != exp.data() + exp.size()) {
    return link_check::malformed;
  }
  // The signature covers the text as sent, so "0005" is checked as "0005".
  std::string msg;
  msg.append(user).append(".").append(exp);
  std::string expected = to_hex(hmac_sha256(secret, msg));
  std::string given(sig);
  for (char& c : given) {
    if (c >= 'A' && c <= 'F') {
      c = char(c - 'A' + 'a');
    }
  }
  if (!constant_time_equal(expected, given)) {
    return link_check::bad_signature;
  }
  if (t <= now) {
    return link_check::expired;
  }
  return link_check::ok;
}

} // namespace igbridge
