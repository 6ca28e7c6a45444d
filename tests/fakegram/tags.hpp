#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fakegram {

/// Hashtags of a caption the way Instagram reads them: '#' not preceded by a
/// word character, then letters/digits/'_' (bytes >= 0x80 count as letters so
/// "#café" works); lower-cased, without '#', first occurrence order, no repeats.
std::vector<std::string> extract_hashtags(std::string_view caption);

/// Cleans caller-given tags: strips a leading '#', lower-cases, drops empties
/// and repeats.
std::vector<std::string> normalize_tags(const std::vector<std::string>& tags);

} // namespace fakegram
