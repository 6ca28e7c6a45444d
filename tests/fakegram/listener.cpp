/// Accepts connections; each session gets its own strand, and main() runs
/// several io threads, so one slow handler never stalls the others.

#include "listener.hpp"

#include "session.hpp"

#include <boost/asio/strand.hpp>

#include <iostream>

namespace fakegram {

namespace net = boost::asio;
using tcp = net::ip::tcp;

listener::listener(net::io_context& ioc, const tcp::endpoint& at, router& r)
    : ioc_(ioc), acceptor_(ioc), router_(r) {
  acceptor_.open(at.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(at);
  acceptor_.listen(net::socket_base::max_listen_connections);
}

tcp::endpoint listener::local_endpoint() const {
  return acceptor_.local_endpoint();
}

void listener::run() {
  do_accept();
}

void listener::stop() {
  // Runs on an io thread (the signal handler): close cancels the pending accept.
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void listener::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [self = shared_from_this()](
                                                   boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) {
      return;
    }
    if (!ec) {
      start_session(std::move(socket), self->router_);
    }
    // Accept errors (e.g. EMFILE) are transient for a test fake: keep going.
    self->do_accept();
  });
}

} // namespace fakegram
