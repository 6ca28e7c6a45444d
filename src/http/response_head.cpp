#include "response_head.hpp"

#include <boost/beast/http/status.hpp>
#include <boost/beast/core/string.hpp>

namespace igbridge {

namespace bhttp = boost::beast::http;

bool bodiless_status(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

void append_response_head(const http_response& r, bool close_after, std::string& out) {
  auto reason = bhttp::obsolete_reason(bhttp::int_to_status(static_cast<unsigned>(r.status)));
  out.append("HTTP/1.1 ").append(std::to_string(r.status)).append(" ");
  out.append(reason.data(), reason.size()).append("\r\n");
  bool has_type = false;
  for (const auto& [name, value] : r.headers) {
    if (name.find_first_of("\r\n:") != std::string::npos
        || value.find_first_of("\r\n") != std::string::npos) {
      continue; // a field that would split the head is never sent
    }
    out.append(name).append(": ").append(value).append("\r\n");
    has_type = has_type || boost::beast::iequals(name, "content-type");
  }
  if (!has_type && !r.body.empty()) {
    out.append("Content-Type: application/json\r\n");
  }
  out.append("Server: igbridge\r\n");
  if (!bodiless_status(r.status)) {
    out.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
  }
  if (close_after) {
    out.append("Connection: close\r\n");
  }
  out.append("\r\n");
}

} // namespace igbridge
