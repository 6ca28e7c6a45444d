#pragma once
/// @brief What a committed transaction moved, for the actors that act on it:
/// the record modules note it while they write, and the writer passes it on
/// after the commit (never before).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace igbridge {

struct write_notes {
  /// (user, due) of every schedule or inbox queue entry written; due 0
  /// means the user's entries were removed.
  std::vector<std::pair<std::string, int64_t>> wakes;
  bool outbox_grew = false;
  /// Media files no import references any more: removed after the commit.
  std::vector<std::string> media_gone;
  void wake(std::string user, int64_t due) { wakes.emplace_back(std::move(user), due); }
  /// Takes in what another transaction noted.
  void merge(write_notes&& o) {
    wakes.insert(wakes.end(), std::make_move_iterator(o.wakes.begin()),
                 std::make_move_iterator(o.wakes.end()));
    outbox_grew = outbox_grew || o.outbox_grew;
    media_gone.insert(media_gone.end(), std::make_move_iterator(o.media_gone.begin()),
                      std::make_move_iterator(o.media_gone.end()));
  }
};

} // namespace igbridge
