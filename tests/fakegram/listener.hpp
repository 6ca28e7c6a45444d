#pragma once

#include "router.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>

namespace fakegram {

/// Accepts connections and hands each to its own session on its own strand.
class listener : public std::enable_shared_from_this<listener> {
public:
  /// Binds and listens at once, so the real port is known before run().
  listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& at, router& r);

  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void run();
  void stop();

private:
  void do_accept();

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  router& router_;
};

} // namespace fakegram
