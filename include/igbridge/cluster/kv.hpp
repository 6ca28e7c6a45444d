#pragma once
/// @brief JetStream KV buckets with revisions: the replicated lookups any
/// node answers (DESIGN §9: Instagram id → app users, OAuth states,
/// deletion codes) and the cluster's own leases and heartbeats.
///
/// Keys are any strings: names::kv_key() maps them to valid NATS keys.
/// Reads go to the stream's leader (not a possibly lagging replica), so a
/// value written on one node is read back on any other. Writes carry the
/// fences of compare-and-set: create (only if absent), update (only at a
/// revision), remove (optionally only at a revision).
///
/// What server 2.9.10 guarantees of them (nats-server#4320, fixed after
/// 2.9.20): create on a key that holds no message is checked as each
/// replica applies it, in log order, so of concurrent creates exactly one
/// wins. update/remove at a revision are checked by the leader only before
/// replication: a stale revision is refused, but two writes at the same
/// revision that are in flight together may both land. Contended
/// read-modify-write therefore takes a create-only lock (ig_index does).
///
/// Plain functions block (link.hpp); *_async ones complete on a link thread.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "igbridge/cluster/link.hpp"

namespace igbridge::cluster {

struct kv_entry {
  std::string value;
  uint64_t revision = 0;
};

/// A handle on one bucket: two strings and a reference, cheap to copy. The
/// link must outlive it.
class kv_bucket {
public:
  kv_bucket(cluster_link& link, std::string bucket);

  const std::string& bucket() const { return bucket_; }

  /// The live value; not_found when absent, deleted or expired.
  result<kv_entry> get(std::string_view key) const;
  /// Writes unconditionally; the new revision.
  result<uint64_t> put(std::string_view key, std::string_view value) const;
  /// Writes only if the key has no live value (absent, deleted or expired);
  /// exists otherwise.
  result<uint64_t> create(std::string_view key, std::string_view value) const;
  /// Writes only if the key's latest revision is `revision`; fenced otherwise.
  result<uint64_t> update(std::string_view key, std::string_view value, uint64_t revision) const;
  /// Places a delete marker; with `revision` != 0 only if the key is still
  /// at that revision (fenced otherwise). Removing an absent key is ok.
  status remove(std::string_view key, uint64_t revision = 0) const;
  /// Reads the value and marks it taken (a create-only marker beside the
  /// key, so of two nodes taking it at once exactly one gets the value and
  /// the other not_found: an OAuth state is used once), then removes it.
  /// The marker expires with the bucket's TTL: for buckets with one.
  result<kv_entry> take(std::string_view key) const;
  /// Drops every revision of the key, leaving no marker.
  status purge(std::string_view key) const;
  /// Gives up a key held at `revision` (a lease, a lock): removes it if
  /// still at that revision, then purges it, so that the next create finds
  /// no marker and is serialised (a create over a marker is an update).
  status release(std::string_view key, uint64_t revision) const;
  /// Keys that hold messages (live values, and markers not purged), as
  /// kv_key() spells them. For small buckets (nodes).
  result<std::vector<std::string>> keys() const;

  // -- async: `done` runs on a link thread --------------------------------
  void get_async(std::string key, std::function<void(result<kv_entry>)> done) const;
  void put_async(std::string key, std::string value, publish_done done) const;
  void create_async(std::string key, std::string value, publish_done done) const;
  void update_async(std::string key, std::string value, uint64_t revision,
                    publish_done done) const;
  void remove_async(std::string key, uint64_t revision, std::function<void(status)> done) const;
  void take_async(std::string key, std::function<void(result<kv_entry>)> done) const;

private:
  std::string subject(std::string_view key) const; // $KV.<bucket>.<kv_key(key)>
  /// Create-only on an exact subject of this bucket.
  result<uint64_t> create_subject(const std::string& subject, std::string_view value) const;
  publish_request write(std::string_view key, std::string_view value) const;

  cluster_link* link_;
  std::string bucket_;
  std::string stream_; // KV_<bucket>
};

/// The buckets of DESIGN §9's lookups that need no logic of their own.
kv_bucket oauth_states(cluster_link& link);   // nonce → the attempt (TTL link.ttl_s)
kv_bucket deletion_codes(cluster_link& link); // confirmation code → the deletion's state

/// Instagram id → the app users linked to it: a JSON array of strings,
/// updated by compare-and-set so that two nodes linking at once both land.
class ig_index {
public:
  explicit ig_index(cluster_link& link);

  /// The app users of `ig_id`, sorted; empty when none (not an error).
  result<std::vector<std::string>> users(std::string_view ig_id) const;
  /// Adds `app_user` (no-op if present). Concurrent changes of one
  /// Instagram id are serialised by a short create-only lock in igb_leases
  /// (it expires with the leases if its holder dies), since server 2.9.10's
  /// compare-and-set alone lets concurrent updates overwrite each other.
  status add(std::string_view ig_id, std::string_view app_user) const;
  /// Removes `app_user`; the key goes when its list is empty.
  status remove(std::string_view ig_id, std::string_view app_user) const;

  /// Sets the whole list (sorted here), unconditionally and without the
  /// lock: for loading a new cluster (cluster import), where nothing else
  /// writes the bucket. `done` on a NATS thread.
  void put_all_async(std::string ig_id, std::vector<std::string> app_users,
                     publish_done done) const;

  void users_async(std::string ig_id,
                   std::function<void(result<std::vector<std::string>>)> done) const;
  void add_async(std::string ig_id, std::string app_user, std::function<void(status)> done) const;
  void remove_async(std::string ig_id, std::string app_user,
                    std::function<void(status)> done) const;

private:
  /// Under the id's lock: read, change, write at the read revision.
  status change(std::string_view ig_id, std::string_view app_user, bool add) const;
  status change_locked(std::string_view ig_id, const std::string& app_user, bool add) const;

  cluster_link* link_;
  kv_bucket bucket_;
  kv_bucket locks_;
};

} // namespace igbridge::cluster
