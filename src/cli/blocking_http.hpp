#pragma once
// One blocking HTTP exchange for the CLI commands: they are short-lived
// processes, not the daemon, so waiting here is fine.

#include <chrono>

#include <boost/asio/io_context.hpp>

#include "igbridge/http_client.hpp"

namespace igbridge {

inline http_response blocking_send(const http_request& req,
                                   std::chrono::milliseconds timeout = std::chrono::seconds{30}) {
  boost::asio::io_context io;
  http_client client{io};
  http_response out;
  // The client keeps idle connections (and their timer) for reuse; stop as
  // soon as the answer is in instead of waiting for them to expire.
  client.send(req,
              [&out, &io](http_response r) {
                out = std::move(r);
                io.stop();
              },
              timeout);
  io.run();
  return out;
}

} // namespace igbridge
