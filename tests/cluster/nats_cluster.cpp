// nats_cluster.hpp: writes one config per server (its own client and route
// ports, routes to all, JetStream under the temp dir) and runs
// NATS_SERVER_BIN on it, logging to <dir>/nN.log.

#include "nats_cluster.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace igbridge::test {

namespace {

/// Ports the kernel hands out, all held open at once so they differ; a
/// tiny race with other programs until the servers bind them, fine on loopback.
std::vector<int> free_ports(int n) {
  std::vector<int> fds, ports;
  for (int i = 0; i < n; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0
        || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("no free port");
    }
    fds.push_back(fd);
    ports.push_back(ntohs(a.sin_port));
  }
  for (int fd : fds) {
    ::close(fd);
  }
  return ports;
}

bool accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

} // namespace

nats_cluster::nats_cluster(int servers) {
  char tmpl[] = "/tmp/igbridge-nats-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  dir_ = tmpl;
  auto ports = free_ports(2 * servers);
  for (int i = 0; i < servers; ++i) {
    client_ports_.push_back(ports[2 * i]);
    route_ports_.push_back(ports[2 * i + 1]);
  }
  pids_.assign(servers, 0);
  for (int i = 0; i < servers; ++i) {
    std::string routes;
    for (int r : route_ports_) {
      routes += (routes.empty() ? "" : ", ") + std::string("nats-route://127.0.0.1:")
                + std::to_string(r);
    }
    std::ofstream(dir_ + "/" + name(i) + ".conf")
        << "server_name: " << name(i) << "\n"
        << "listen: 127.0.0.1:" << client_ports_[i] << "\n"
        << "jetstream { store_dir: \"" << dir_ << "/" << name(i)
        << "\", max_memory_store: 64MB, max_file_store: 1GB }\n"
        << "cluster { name: igb-test, listen: 127.0.0.1:" << route_ports_[i]
        << ", routes: [" << routes << "] }\n";
  }
  for (int i = 0; i < servers; ++i) {
    start(i);
  }
}

nats_cluster::~nats_cluster() {
  for (std::size_t i = 0; i < pids_.size(); ++i) {
    if (pids_[i] > 0) {
      kill(static_cast<int>(i), SIGTERM);
    }
  }
  if (std::getenv("KEEP_NATS_DIR") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::vector<std::string> nats_cluster::urls() const {
  std::vector<std::string> out;
  for (int p : client_ports_) {
    out.push_back("nats://127.0.0.1:" + std::to_string(p));
  }
  return out;
}

std::string nats_cluster::name(int i) const {
  return "n" + std::to_string(i + 1);
}

int nats_cluster::index_of(const std::string& server_name) const {
  for (std::size_t i = 0; i < pids_.size(); ++i) {
    if (name(static_cast<int>(i)) == server_name) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

void nats_cluster::start(int i) {
  if (pids_[i] > 0) {
    return;
  }
  std::string conf = dir_ + "/" + name(i) + ".conf";
  std::string log = dir_ + "/" + name(i) + ".log";
  pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execl(NATS_SERVER_BIN, "nats-server", "-c", conf.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pids_[i] = pid;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!accepts(client_ports_[i])) {
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid) {
      pids_[i] = 0;
      throw std::runtime_error(std::string("nats-server ") + name(i) + " exited; see " + log);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(std::string("nats-server ") + name(i) + " does not listen");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void nats_cluster::kill(int i, int sig) {
  if (pids_[i] <= 0) {
    return;
  }
  ::kill(pids_[i], sig);
  int st = 0;
  ::waitpid(pids_[i], &st, 0);
  pids_[i] = 0;
}

} // namespace igbridge::test
