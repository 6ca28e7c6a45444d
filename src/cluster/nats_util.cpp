// libnats status codes to errc (nats_util.hpp). The JetStream error codes
// are those of nats/status.h (server 2.9): 10071 is the fence of
// Nats-Expected-Last-Subject-Sequence, which KV compare-and-set uses too.

#include "nats_util.hpp"

#include <cstring>

namespace igbridge::cluster {

status nats_failure(natsStatus s, jsErrCode jerr, std::string_view what, const char* detail) {
  std::string text(what);
  text += ": ";
  text += natsStatus_GetText(s);
  // The thread's last error is only this call's when the call set one
  // (NATS_ERR); a "not found" leaves an older, unrelated text behind.
  if (detail == nullptr && s == NATS_ERR) {
    detail = nats_GetLastError(nullptr);
    // libnats prefixes "(file.c:line): "; the operator needs the rest.
    if (detail != nullptr && detail[0] == '(') {
      if (const char* end = std::strstr(detail, "): ")) {
        detail = end + 3;
      }
    }
  }
  if (detail != nullptr && *detail != '\0' && std::string_view(detail) != natsStatus_GetText(s)) {
    text += " (";
    text += detail;
    text += ")";
  }
  if (jerr != 0) {
    text += " [" + std::to_string(static_cast<int>(jerr)) + "]";
  }
  switch (static_cast<int>(jerr)) {
    case JSStreamWrongLastSequenceErr:
    case JSStreamWrongLastMsgIDErr:
      return {errc::fenced, text};
    case JSStreamNotFoundErr:
    case JSNoMessageFoundErr:
    case JSConsumerNotFoundErr:
      return {errc::not_found, text};
    case JSClusterNotAvailErr:
    case JSClusterNotLeaderErr:
    case JSClusterNoPeersErr: // too few servers up (yet) for the replicas asked
      return {errc::no_quorum, text};
    default:
      break;
  }
  switch (s) {
    case NATS_TIMEOUT: return {errc::timeout, text};
    case NATS_NO_RESPONDERS: return {errc::no_quorum, text};
    case NATS_NOT_FOUND: return {errc::not_found, text};
    case NATS_CONNECTION_CLOSED: return {errc::closed, text};
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_NO_SERVER:
      return {errc::disconnected, text};
    case NATS_MAX_PAYLOAD: return {errc::too_large, text};
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT: return {errc::invalid, text};
    default: return {errc::failed, text};
  }
}

std::string header_of(natsMsg* m, const char* key) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(m, key, &value) == NATS_OK && value != nullptr) {
    return value;
  }
  return {};
}

} // namespace igbridge::cluster
