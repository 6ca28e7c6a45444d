#pragma once
/// @brief Small bridges between libnats' C API and the cluster area: owning
/// pointers for its objects, its status codes as errc, header access.

#include <nats/nats.h>

#include <memory>
#include <string>
#include <string_view>

#include "igbridge/cluster/status.hpp"

namespace igbridge::cluster {

struct msg_deleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
using msg_ptr = std::unique_ptr<natsMsg, msg_deleter>;

struct stream_info_deleter {
  void operator()(jsStreamInfo* si) const { jsStreamInfo_Destroy(si); }
};
using stream_info_ptr = std::unique_ptr<jsStreamInfo, stream_info_deleter>;

/// A failed libnats call as a status: the JetStream error code decides
/// fenced/not_found, the natsStatus the rest; `what` says which call.
/// `detail` defaults to the thread's last libnats error (set by the call
/// that just failed on this thread).
status nats_failure(natsStatus s, jsErrCode jerr, std::string_view what,
                    const char* detail = nullptr);

inline status nats_status(natsStatus s, jsErrCode jerr, std::string_view what) {
  return s == NATS_OK ? status{} : nats_failure(s, jerr, what);
}

/// A header's value, or "" when absent.
std::string header_of(natsMsg* m, const char* key);

inline std::string_view data_of(natsMsg* m) {
  return {natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m))};
}

} // namespace igbridge::cluster
