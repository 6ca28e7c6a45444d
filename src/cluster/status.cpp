// Names of the cluster error kinds, for logs and test messages.

#include "igbridge/cluster/status.hpp"

namespace igbridge::cluster {

const char* to_string(errc e) {
  switch (e) {
    case errc::ok: return "ok";
    case errc::fenced: return "fenced";
    case errc::exists: return "exists";
    case errc::not_found: return "not_found";
    case errc::timeout: return "timeout";
    case errc::no_quorum: return "no_quorum";
    case errc::disconnected: return "disconnected";
    case errc::too_large: return "too_large";
    case errc::mismatch: return "mismatch";
    case errc::invalid: return "invalid";
    case errc::closed: return "closed";
    case errc::failed: return "failed";
  }
  return "failed";
}

} // namespace igbridge::cluster
