#pragma once
// Outbound HTTP for actors: the client's answer arrives as an http_reply
// message and is matched here to the continuation that asked for it, so
// the continuation runs inside the actor, never on an asio thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <unordered_map>

#include <caf/send.hpp>

#include "igbridge/http_client.hpp"
#include "igbridge/messages.hpp"

namespace igbridge {

class http_waiter {
public:
  using continuation = std::function<void(http_response)>;

  /// Sends `req` through `client`; `owner` (a handle whose interface takes
  /// (http_done_atom, http_reply)) receives the answer.
  template <class Handle>
  void call(outbound_http& client, Handle owner, http_request req,
            std::chrono::milliseconds timeout, continuation k) {
    auto tag = ++next_tag_;
    pending_.emplace(tag, std::move(k));
    client.send(std::move(req),
                [owner, tag](http_response r) {
                  caf::anon_send(owner, http_done_atom::value, http_reply{tag, std::move(r)});
                },
                timeout);
  }

  /// Runs the continuation of `reply`; unknown tags (e.g. after a restart
  /// of the flow) are ignored.
  void complete(http_reply& reply) {
    auto i = pending_.find(reply.tag);
    if (i == pending_.end()) {
      return;
    }
    auto k = std::move(i->second);
    pending_.erase(i);
    k(std::move(reply.response));
  }

  std::size_t in_flight() const { return pending_.size(); }

private:
  uint64_t next_tag_ = 0;
  std::unordered_map<uint64_t, continuation> pending_;
};

} // namespace igbridge
