#pragma once
/// @brief The link's few threads for blocking NATS calls (KV reads, snapshot
/// writes, consumer setup), so that callers on CAF workers never wait.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace igbridge::cluster {

class worker_pool {
public:
  explicit worker_pool(int threads);
  ~worker_pool();

  /// Queues `job`; false once stop() began (the job is dropped).
  bool post(std::function<void()> job);
  /// Refuses new jobs, runs the queued ones, joins the threads. Idempotent.
  void stop();

private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

} // namespace igbridge::cluster
