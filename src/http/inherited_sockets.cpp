// Socket activation: the listening sockets systemd (or a test harness that
// holds them across restarts) hands over, so that connections arriving
// while the daemon restarts wait in the kernel's queue instead of being
// refused.

#include "igbridge/inherited_sockets.hpp"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace igbridge {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out += (out.empty() ? "" : ", ") + n;
  }
  return out;
}

} // namespace

inherited_sockets name_inherited_sockets(int first, const std::vector<std::string>& names) {
  const std::string fix =
    "; igbridge takes one socket named public and one named admin"
    " (FileDescriptorName= in igbridge.socket)";
  if (names.size() > 2) {
    throw std::runtime_error("the service manager passed " + std::to_string(names.size())
                             + " sockets (" + joined(names) + ")" + fix);
  }
  inherited_sockets out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    int* slot = names[i] == "public" ? &out.public_fd
                : names[i] == "admin" ? &out.admin_fd
                                      : nullptr;
    if (slot == nullptr) {
      throw std::runtime_error("the service manager passed a socket named \"" + names[i] + "\""
                               + fix);
    }
    if (*slot >= 0) {
      throw std::runtime_error("the service manager passed two sockets named " + names[i] + fix);
    }
    *slot = first + static_cast<int>(i);
  }
  return out;
}

inherited_sockets take_inherited_sockets() {
  char** names = nullptr;
  int n = sd_listen_fds_with_names(1, &names);
  if (n < 0) {
    throw std::runtime_error(std::string("LISTEN_FDS is set but unusable: ") + std::strerror(-n));
  }
  std::vector<std::string> list;
  for (int i = 0; i < n; ++i) {
    list.emplace_back(names[i]);
  }
  for (int i = 0; names != nullptr && names[i] != nullptr; ++i) {
    std::free(names[i]);
  }
  std::free(names);
  return name_inherited_sockets(SD_LISTEN_FDS_START, list);
}

} // namespace igbridge
