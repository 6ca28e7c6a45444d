#pragma once

#include "options.hpp"
#include "state.hpp"

#include <string>

namespace fakegram {

class notifier;
struct request;

/// What every handler needs: the command line, the state, the update sender,
/// the address fakegram is reachable at and the CDN's signing key.
struct app {
  options opts;
  state& st;
  notifier& notes;
  std::string listen_base; ///< "http://HOST:PORT" with the real port
  std::string cdn_key;     ///< signs CDN URLs (random per run, like a CDN's secret)

  /// Base for absolute URLs in answers (paging.next, media_url, …). The listen
  /// address, unless fakegram listens on a wildcard address: then the Host
  /// header the client used.
  std::string base_url(const request& req) const;

  bool graph() const { return opts.dia == dialect::graph; }
};

} // namespace fakegram
