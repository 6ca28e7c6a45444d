#pragma once
/// @brief Admin calls for a user answered by its owner (DESIGN §9): a node
/// that does not serve the user's shard sends the request (method, target,
/// headers, body) to igb.rpc.<shard>, where the owner's admin actor answers
/// it as if it had come to its own listener (the admin token is checked
/// there again), and relays the answer. A request that comes back to a node
/// that does not serve the shard (it moved meanwhile) is answered there,
/// never sent on again.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "core/shard_service.hpp"
#include "igbridge/context.hpp"
#include "igbridge/http_types.hpp"
#include "igbridge/messages.hpp"

namespace igbridge {

class cluster_admin : public shard_service {
public:
  cluster_admin(context& ctx, uint32_t shards, route_actor admin);
  ~cluster_admin() override;

  void joined(cluster::cluster_link& link) override;
  void serve(uint32_t shard) override;
  void unserve(uint32_t shard) override;
  void stop() override;

  /// The user's owner answers `req`; `done` on a link thread.
  void ask_owner(const std::string& user, const http_request& req,
                 std::function<void(http_response)> done);

  /// The header that marks a request relayed from another node.
  static constexpr const char* relayed_header = "Igb-Relayed";

private:
  struct parts;
  context& ctx_;
  uint32_t shards_;
  route_actor admin_;
  std::shared_ptr<parts> parts_;
  std::atomic<bool> ready_{false};
};

} // namespace igbridge
