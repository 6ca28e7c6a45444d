/// The shared handler context: where absolute URLs in answers are rooted.

#include "app.hpp"

#include "http_types.hpp"

namespace fakegram {

std::string app::base_url(const request& req) const {
  bool wildcard = opts.host == "0.0.0.0" || opts.host == "::" || opts.host == "[::]";
  if (wildcard && !req.host.empty()) {
    return "http://" + req.host;
  }
  return listen_base;
}

} // namespace fakegram
