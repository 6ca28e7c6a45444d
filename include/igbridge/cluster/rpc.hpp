#pragma once
/// @brief Requests answered by a shard's owner (DESIGN §9: admin calls for
/// a user reach its owner): plain NATS request/reply on igb.rpc.<shard>,
/// no stream, since an admin call is not stored, only answered. The owner
/// subscribes for the shards it serves; a request nobody serves right now
/// fails at once with no_quorum ("no responders"), one unanswered with
/// timeout.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "igbridge/cluster/link.hpp"

namespace igbridge::cluster {

class shard_rpc {
public:
  /// `answer` is how the request's owner replies: once, from any thread.
  using answer = std::function<void(std::string reply)>;
  /// Runs on a NATS thread: must be short (post to an actor).
  using handler = std::function<void(uint32_t shard, std::string request, answer reply)>;

  shard_rpc(cluster_link& link, handler on_request);
  ~shard_rpc(); // unserves every shard
  shard_rpc(const shard_rpc&) = delete;
  shard_rpc& operator=(const shard_rpc&) = delete;

  /// Answers the shard's requests from now on.
  status serve(uint32_t shard);
  void unserve(uint32_t shard);
  void unserve_all();

  /// Sends `request` to whoever serves the shard; `done` gets the reply on
  /// a link worker.
  void ask(uint32_t shard, std::string request, std::chrono::milliseconds timeout,
           std::function<void(result<std::string>)> done) const;

  struct core; // per served shard: the subscription's closure
private:
  cluster_link* link_;
  std::shared_ptr<handler> on_request_;
  std::mutex mu_;
  std::map<uint32_t, std::shared_ptr<core>> served_; // guarded by mu_
};

} // namespace igbridge::cluster
