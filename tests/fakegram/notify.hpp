#pragma once

#include "options.hpp"
#include "state.hpp"
#include "updates.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace fakegram {

/// Sends updates to --webhook-url from its own thread, so posting media never
/// waits on the receiver. One attempt per update: fakegram does not retry.
class notifier {
public:
  notifier(state& st, const options& opts);
  ~notifier();

  notifier(const notifier&) = delete;
  notifier& operator=(const notifier&) = delete;

  /// Queues the dialect's update for new media (no-op without --webhook-url).
  void media_posted(const std::string& account_id, const std::string& media_id);

  /// Queues a ready, signed update (no-op without --webhook-url).
  void send(signed_update u, const std::string& what, const std::string& account_id);

  /// Drops what is queued and joins the thread.
  void stop();

private:
  struct job {
    std::string account_id;
    std::string media_id;              ///< a media update, built when it is sent
    std::optional<signed_update> ready; ///< or an update built by the caller
    std::string what;
  };

  void enqueue(job j);
  void run();
  void deliver(const job& j);

  state& st_;
  const options& opts_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace fakegram
