#pragma once
/// @brief Listening sockets handed over by the service manager (socket
/// activation, sd_listen_fds(3)), told apart by the names the socket unit
/// gives them (`FileDescriptorName=public`, `=admin`).

#include <string>
#include <vector>

namespace igbridge {

struct inherited_sockets {
  int public_fd = -1; // -1: none handed over; the listener binds its own
  int admin_fd = -1;
};

/// Which of the descriptors `first`, `first + 1`, … named `names` (in that
/// order) is which listener. Throws std::runtime_error naming the problem:
/// more than two, a name other than `public` or `admin` (systemd says
/// `unknown` for a socket its unit did not name), a name given twice.
inherited_sockets name_inherited_sockets(int first, const std::vector<std::string>& names);

/// The sockets handed to this process: none unless LISTEN_PID names it and
/// LISTEN_FDS counts some; LISTEN_FDNAMES names them. The variables are
/// unset afterwards, so nothing started later takes them for its own.
/// Throws as name_inherited_sockets does, or when the variables are malformed.
inherited_sockets take_inherited_sockets();

} // namespace igbridge
