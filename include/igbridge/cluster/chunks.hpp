#pragma once
/// @brief Payloads over the server's max_payload (1 MB by default) cut into
/// messages, and put back together. A chunk carries "index/count" in the
/// `Igb-Chunk` header and its group's id in `Igb-Group`; readers keep only
/// complete groups, so a writer that died (or was fenced) half-way leaves
/// nothing a reader would take for data.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace igbridge::cluster {

/// Room for igbridge's and JetStream's headers in every message.
inline constexpr std::size_t header_room = 4096;

/// The payload bytes one message may carry on a server with `max_payload`.
std::size_t chunk_budget(int64_t max_payload);

/// `data` cut into pieces of at most `size` bytes (views into `data`); an
/// empty payload is one empty chunk. `size` > 0.
std::vector<std::string_view> split_chunks(std::string_view data, std::size_t size);

struct chunk_tag {
  uint32_t index = 0; // 0-based
  uint32_t count = 1;
};

std::string format_chunk_tag(chunk_tag t); // "index/count"
/// "index/count" with index < count; nullopt on anything else.
std::optional<chunk_tag> parse_chunk_tag(std::string_view text);

/// Joins consecutive chunks of one group. Feeding a chunk that does not
/// continue the current group (another group, or a gap) drops the partial
/// group: a group's chunks are written one after another, so anything else
/// means its writer stopped.
class chunk_assembler {
public:
  /// Returns the whole payload when `tag` completes its group.
  std::optional<std::string> feed(std::string_view group, chunk_tag tag, std::string_view bytes);
  /// Drops a group in progress: something else came between its chunks.
  void reset();
  /// Partial groups dropped so far (a reader may log them).
  uint64_t dropped() const { return dropped_; }

private:
  std::string group_;
  uint32_t next_ = 0;
  uint32_t count_ = 0;
  std::string data_;
  uint64_t dropped_ = 0;
};

} // namespace igbridge::cluster
