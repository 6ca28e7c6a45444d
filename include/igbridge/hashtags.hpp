#pragma once
/// @brief Hashtags: extraction from captions and the import decision.

#include <string>
#include <string_view>
#include <vector>

namespace igbridge {

/// Tags in a UTF-8 caption, case-folded, without '#', in order, no repeats.
/// A tag is '#' followed by letters (any script), digits, marks or '_';
/// it ends at anything else. A '#' preceded by a letter, digit or '_'
/// (e.g. "a#ed") starts no tag.
std::vector<std::string> extract_hashtags(std::string_view caption);

/// Case-folds a configured tag ("#Ed" → "ed").
std::string normalize_tag(std::string_view tag);

enum class tag_verdict { import, untagged, blocked };

/// import when a tag is in `wanted` and none is in `blocked`; both lists and
/// `tags` are expected normalized.
tag_verdict judge_tags(const std::vector<std::string>& tags,
                       const std::vector<std::string>& wanted,
                       const std::vector<std::string>& blocked);

} // namespace igbridge
