#pragma once
/// @brief The headers igbridge puts on its own JetStream messages, so that
/// readers tell batches from claim markers and chunks from whole payloads.

namespace igbridge::cluster::headers {

inline constexpr const char* kind = "Igb-Kind";   // batch | claim (changelog)
inline constexpr const char* chunk = "Igb-Chunk"; // "index/count", on chunked payloads only
inline constexpr const char* group = "Igb-Group"; // the chunks' common id
inline constexpr const char* node = "Igb-Node";   // the writer (claims)

inline constexpr const char* kind_batch = "batch";
inline constexpr const char* kind_claim = "claim";

} // namespace igbridge::cluster::headers
