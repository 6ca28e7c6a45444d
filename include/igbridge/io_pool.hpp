#pragma once
/// @brief The daemon's I/O threads: one io_context per thread. A connection
/// lives on one of them, so its handlers need no strand, and each thread
/// waits in its own epoll, woken only by its own sockets and by work posted
/// to it. With one shared io_context, every answer posted from the writer
/// woke whichever thread was idle, and the threads handed reactor events to
/// each other: most of a webhook's CPU went to those context switches.

#include <memory>

namespace boost::asio {
class io_context;
} // namespace boost::asio

namespace igbridge {

class io_pool {
public:
  explicit io_pool(int threads);
  ~io_pool();
  io_pool(const io_pool&) = delete;
  io_pool& operator=(const io_pool&) = delete;

  /// The first context: acceptors, signals and the outbound HTTP client.
  boost::asio::io_context& main();
  /// The context for the next connection, in turn.
  boost::asio::io_context& next();

  /// Runs every context on a thread of its own until stop().
  void start();
  /// Stops every context and joins its thread.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace igbridge
