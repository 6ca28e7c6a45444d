#pragma once
/// @brief Three nats-server processes with clustered JetStream on loopback
/// ports in a temp dir, for the cluster area's integration tests: started
/// once per test program, killed or stopped one by one, restarted with
/// their data.

#include <sys/types.h>

#include <string>
#include <vector>

namespace igbridge::test {

class nats_cluster {
public:
  explicit nats_cluster(int servers = 3);
  ~nats_cluster(); // stops every server and removes the directory
  nats_cluster(const nats_cluster&) = delete;
  nats_cluster& operator=(const nats_cluster&) = delete;

  std::vector<std::string> urls() const; // nats://127.0.0.1:PORT of each server
  std::string name(int i) const;         // its server_name: n1, n2, ...
  int index_of(const std::string& server_name) const; // -1 if none

  void start(int i);                // with its config and data; waits for its client port
  void kill(int i, int sig = 9);    // signals and reaps it (9: a crash)
  void stop(int i) { kill(i, 15); } // a clean shutdown
  bool running(int i) const { return pids_[i] > 0; }

private:
  std::string dir_;
  std::vector<int> client_ports_;
  std::vector<int> route_ports_;
  std::vector<pid_t> pids_;
};

} // namespace igbridge::test
