#pragma once
/// @brief Data deletions in cluster mode (DESIGN §9): the confirmation
/// codes live in the replicated `igb_deletions` bucket, so any node opens
/// one and any node answers its status page; each linked user is erased by
/// her shard's owner, which marks her done only once her shard's changelog
/// and snapshots hold nothing of her from before the erase (a snapshot
/// after it, the changelog before it dropped). The code reads `completed`
/// when every user is marked.
///
/// In the bucket: "<code>" → the request (JSON: instagram_user_id, users,
/// requested_at, status, completed_at); "<code>/done/<user>" → a marker per
/// user erased (create-only, so two owners finishing at once both count);
/// "request/<sha256 of the signed_request>" → its code, so a replay of the
/// same request gets the same code.

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/shard_service.hpp"
#include "igbridge/records.hpp"

namespace igbridge {

class cluster_deletions : public shard_service {
public:
  void joined(cluster::cluster_link& link) override { link_.store(&link); }
  void serve(uint32_t) override {}
  void unserve(uint32_t) override {}
  void stop() override { link_.store(nullptr); }

  /// What open() found or made.
  struct opened {
    std::string code;
    bool completed = false; // a replay of a request already carried out
  };
  /// Opens the request (or finds it, for a replay): blocks. nullopt when
  /// NATS did not answer. No users: completed at once.
  std::optional<opened> open(const std::string& request_key, const std::string& fresh_code,
                             const std::string& instagram_id,
                             const std::vector<std::string>& users, int64_t now) const;
  /// The request behind `code`: nullopt with `ok` when unknown, `ok` false
  /// when NATS did not answer. Blocks.
  std::optional<deletion_record> get(const std::string& code, bool& ok) const;
  /// The owner's side: `user` is erased and purged from her shard's
  /// history. Completes the request when she was the last. Blocks.
  bool user_done(const std::string& code, const std::string& user, int64_t now) const;

  /// open() and get() on a link worker, for callers that may not block
  /// (the front actor); `done` runs there (nullopt / not ok when the link
  /// is gone).
  void open_async(std::string request_key, std::string fresh_code, std::string instagram_id,
                  std::vector<std::string> users, int64_t now,
                  std::function<void(std::optional<opened>)> done) const;
  void get_async(std::string code,
                 std::function<void(std::optional<deletion_record>, bool ok)> done) const;

private:
  std::atomic<cluster::cluster_link*> link_{nullptr};
};

} // namespace igbridge
