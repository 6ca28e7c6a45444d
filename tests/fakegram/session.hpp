#pragma once

#include "router.hpp"

#include <boost/asio/ip/tcp.hpp>

namespace fakegram {

/// Serves one accepted connection (keep-alive, one request at a time).
void start_session(boost::asio::ip::tcp::socket socket, router& r);

} // namespace fakegram
