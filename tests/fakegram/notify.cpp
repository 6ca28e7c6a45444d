/// The background sender of webhook updates (posts, demo mentions): one
/// thread, one attempt each, every attempt logged for the demo page.

#include "notify.hpp"

#include "http_client.hpp"
#include "timefmt.hpp"

#include <iostream>

namespace fakegram {

namespace {

constexpr std::chrono::seconds delivery_timeout{10};

} // namespace

notifier::notifier(state& st, const options& opts) : st_(st), opts_(opts) {
  if (!opts_.webhook_url.empty()) {
    thread_ = std::thread([this] { run(); });
  }
}

notifier::~notifier() {
  stop();
}

void notifier::media_posted(const std::string& account_id, const std::string& media_id) {
  enqueue({account_id, media_id, std::nullopt, "media " + media_id});
}

void notifier::send(signed_update u, const std::string& what, const std::string& account_id) {
  enqueue({account_id, "", std::move(u), what});
}

void notifier::enqueue(job j) {
  if (opts_.webhook_url.empty()) {
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      return;
    }
    queue_.push_back(std::move(j));
  }
  wake_.notify_one();
}

void notifier::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void notifier::run() {
  for (;;) {
    job j;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) {
        return;
      }
      j = std::move(queue_.front());
      queue_.pop_front();
    }
    deliver(j);
  }
}

void notifier::deliver(const job& j) {
  auto now = unix_now();
  signed_update u;
  if (j.ready) {
    u = *j.ready;
  } else {
    // Legacy updates name the subscription; use the stored one when there is one.
    std::string subscription_id = "1";
    for (const auto& s : st_.subscriptions()) {
      if (s.object == "user") {
        subscription_id = s.id;
      }
    }
    // Graph signs with the chosen app secret; legacy X-Hub-Signature with the client secret.
    const auto& secret = opts_.dia == dialect::graph ? opts_.signing_secret() : opts_.client_secret;
    u = build_update(opts_.dia, secret, j.account_id, j.media_id, now, subscription_id);
  }
  auto res = http_call("POST", opts_.webhook_url, u.body,
                       {{"Content-Type", "application/json"}, {u.signature_header, u.signature}},
                       delivery_timeout);
  std::cerr << "fakegram: update (" << j.what << ") -> "
            << (res.status ? std::to_string(res.status) : res.error) << std::endl;
  st_.log_notification({now, j.what, j.account_id, res.status, res.error});
}

} // namespace fakegram
