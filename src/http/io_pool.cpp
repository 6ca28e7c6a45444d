#include "igbridge/io_pool.hpp"

#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace igbridge {

namespace net = boost::asio;

struct io_pool::impl {
  using guard = net::executor_work_guard<net::io_context::executor_type>;
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<guard> guards; // a context without a connection keeps running
  std::vector<std::thread> threads;
  std::atomic<std::size_t> turn{0};
};

io_pool::io_pool(int threads) : impl_(std::make_unique<impl>()) {
  auto n = static_cast<std::size_t>(threads < 1 ? 1 : threads);
  for (std::size_t i = 0; i < n; ++i) {
    // Concurrency hint 1: one thread runs it, so asio takes no locks.
    impl_->contexts.push_back(std::make_unique<net::io_context>(1));
    impl_->guards.emplace_back(impl_->contexts.back()->get_executor());
  }
}

io_pool::~io_pool() {
  stop();
}

net::io_context& io_pool::main() {
  return *impl_->contexts.front();
}

net::io_context& io_pool::next() {
  auto i = impl_->turn.fetch_add(1, std::memory_order_relaxed);
  return *impl_->contexts[i % impl_->contexts.size()];
}

void io_pool::start() {
  for (auto& c : impl_->contexts) {
    impl_->threads.emplace_back([io = c.get()] { io->run(); });
  }
}

void io_pool::stop() {
  for (auto& g : impl_->guards) {
    g.reset();
  }
  for (auto& c : impl_->contexts) {
    c->stop();
  }
  for (auto& t : impl_->threads) {
    t.join();
  }
  impl_->threads.clear();
}

} // namespace igbridge
