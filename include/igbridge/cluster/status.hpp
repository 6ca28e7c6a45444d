#pragma once
/// @brief What a cluster operation answers: ok, or one error kind the caller
/// can act on (a fence means "you are no longer the writer", a timeout or
/// no_quorum means "try again later", a mismatch names a config key).

#include <string>
#include <utility>

namespace igbridge::cluster {

enum class errc {
  ok,
  fenced,       // a compare-and-set lost: wrong last sequence or KV revision
  exists,       // create-only write of a key or subject that holds a value
  not_found,    // no such key, message, snapshot or stream
  timeout,      // no answer in time (the server may still apply the write)
  no_quorum,    // no JetStream leader answered (no responders)
  disconnected, // the client is not connected to any server
  too_large,    // over the server's max_payload and not splittable here
  mismatch,     // the cluster was created otherwise; the message names the key
  invalid,      // a bad argument (key, subject, size)
  closed,       // the link is shutting down
  failed,       // anything else; the message says what
};

const char* to_string(errc e);

struct status {
  errc code = errc::ok;
  std::string message; // for logs; never holds a secret or a payload

  bool ok() const { return code == errc::ok; }
  static status failure(errc c, std::string m) { return {c, std::move(m)}; }
};

/// A value or the status that explains its absence.
template <class T>
struct result {
  status st;
  T value{};

  bool ok() const { return st.ok(); }
  static result success(T v) { return {status{}, std::move(v)}; }
  static result failure(status s) { return {std::move(s), T{}}; }
};

} // namespace igbridge::cluster
