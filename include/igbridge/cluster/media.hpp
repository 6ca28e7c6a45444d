#pragma once
/// @brief Stored media that outlive any node (DESIGN §9): each file is
/// content-addressed on igb.media.<sha256>, cut into chunks under the
/// server's max_payload (server 2.9 has no Object Store), in the
/// IGB_MEDIA stream with `replicas` copies. Any node serves any file.
///
/// Plain functions block; the *_async ones complete on a link worker.

#include <functional>
#include <string>
#include <string_view>

#include "igbridge/cluster/link.hpp"

namespace igbridge::cluster {

class media_store {
public:
  explicit media_store(cluster_link& link);

  /// Stores `bytes` unless a complete copy is already there (idempotent:
  /// any number of nodes may store the same file). Returns the lowercase
  /// hex SHA-256 that names it.
  result<std::string> put(std::string_view bytes) const;
  /// The file named `sha256_hex`, checked against its name; not_found when
  /// it is not (completely) stored.
  result<std::string> get(std::string_view sha256_hex) const;
  /// Drops the file (a data deletion).
  status remove(std::string_view sha256_hex) const;

  void put_async(std::string bytes, std::function<void(result<std::string>)> done) const;
  void get_async(std::string sha256_hex, std::function<void(result<std::string>)> done) const;

private:
  /// A complete copy is stored (its last chunk closes its group).
  result<bool> complete(const std::string& subject) const;

  cluster_link* link_;
};

} // namespace igbridge::cluster
