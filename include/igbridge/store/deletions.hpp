#pragma once
/// @brief Data-deletion requests: each by its confirmation code
/// (`deletions`), and the code of each request already seen by the hash of
/// its signed_request (`deletion_requests`), so a replay answers the same
/// code.

#include <cstdint>
#include <optional>
#include <string>

#include "igbridge/records.hpp"
#include "igbridge/store.hpp"

namespace igbridge::deletions {

/// What a request turned out to be.
struct opened {
  std::string code;
  bool replayed = false;  // the same signed_request came before
  bool completed = false; // ... and its erase finished
};

/// Records a request under `fresh_code` unless `request_key` names one
/// already, whose code is answered again.
opened open(write_txn& txn, const std::string& request_key, const std::string& fresh_code,
            uint64_t users, int64_t now);

/// The erase committed: the status page may say `completed`.
void complete(write_txn& txn, const std::string& code, int64_t now);

std::optional<deletion_record> get(const read_txn& txn, const std::string& code);

/// v1 kept records under `meta` ("deletion:<code>").
void put_raw(write_txn& txn, const std::string& code, const deletion_record& d);

} // namespace igbridge::deletions
