// worker_pool.hpp: a plain FIFO of jobs over a fixed set of threads.

#include "worker_pool.hpp"

#include "igbridge/log.hpp"

namespace igbridge::cluster {

worker_pool::worker_pool(int threads) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { run(); });
  }
}

worker_pool::~worker_pool() {
  stop();
}

bool worker_pool::post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      return false;
    }
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

void worker_pool::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) {
      t.join();
    }
  }
}

void worker_pool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) {
        return; // stopping, and the queue is drained
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      // A job's completion threw: it must not take the worker down with it.
      log(log_level::error, "cluster_job_failed", {{"error", e.what()}});
    }
  }
}

} // namespace igbridge::cluster
