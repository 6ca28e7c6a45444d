#include "igbridge/hashtags.hpp"

#include <algorithm>
#include <cstdint>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

namespace igbridge {

namespace {

/// Characters that may appear inside a tag: letters of any script, digits,
/// combining marks (so "café" written with U+0301 stays one tag) and '_'.
bool is_tag_char(UChar32 c) {
  if (c < 0) {
    return false; // invalid UTF-8 ends a tag
  }
  if (c == '_') {
    return true;
  }
  if (u_hasBinaryProperty(c, UCHAR_ALPHABETIC) || u_isalnum(c)) {
    return true;
  }
  return (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0;
}

/// Full case folding followed by NFC, so the same word typed with a
/// precomposed or a decomposed accent, or in another case, compares equal.
std::string fold(const std::u16string& text) {
  if (text.empty()) {
    return {};
  }
  UErrorCode status = U_ZERO_ERROR;
  auto len = static_cast<int32_t>(text.size());
  // Folding can grow a string (ß → ss) but never beyond 3x.
  std::u16string folded(static_cast<std::size_t>(len) * 3 + 1, u'\0');
  int32_t folded_len = u_strFoldCase(folded.data(), static_cast<int32_t>(folded.size()),
                                     text.data(), len, U_FOLD_CASE_DEFAULT, &status);
  if (U_FAILURE(status)) {
    return {};
  }
  folded.resize(static_cast<std::size_t>(folded_len));

  const UNormalizer2* nfc = unorm2_getNFCInstance(&status);
  std::u16string normal(folded.size() * 3 + 1, u'\0');
  int32_t normal_len = 0;
  if (U_SUCCESS(status)) {
    normal_len = unorm2_normalize(nfc, folded.data(), static_cast<int32_t>(folded.size()),
                                  normal.data(), static_cast<int32_t>(normal.size()), &status);
  }
  if (U_FAILURE(status)) {
    normal = folded; // normalization is a nicety; folding alone is still useful
  } else {
    normal.resize(static_cast<std::size_t>(normal_len));
  }

  status = U_ZERO_ERROR;
  int32_t needed = 0;
  u_strToUTF8(nullptr, 0, &needed, normal.data(), static_cast<int32_t>(normal.size()),
              &status);
  if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status)) {
    return {};
  }
  std::string out(static_cast<std::size_t>(needed), '\0');
  status = U_ZERO_ERROR;
  u_strToUTF8(out.data(), needed, nullptr, normal.data(), static_cast<int32_t>(normal.size()),
              &status);
  if (U_FAILURE(status) && status != U_STRING_NOT_TERMINATED_WARNING) {
    return {};
  }
  return out;
}

void append(std::u16string& s, UChar32 c) {
  UChar buf[2];
  int32_t n = 0;
  UBool error = false;
  U16_APPEND(buf, n, 2, c, error);
  if (!error) {
    s.append(buf, static_cast<std::size_t>(n));
  }
}

} // namespace

std::vector<std::string> extract_hashtags(std::string_view caption) {
  std::vector<std::string> tags;
  const auto* s = reinterpret_cast<const uint8_t*>(caption.data());
  // ICU's macros index with int32_t; captions are far below that, but a
  // hostile one must not wrap around.
  auto length = static_cast<int32_t>(std::min<std::size_t>(caption.size(), INT32_MAX));

  bool prev_word = false; // was the previous code point a tag character?
  bool in_tag = false;
  std::u16string current;
  auto finish = [&] {
    if (in_tag && !current.empty()) {
      std::string tag = fold(current);
      if (!tag.empty() && std::find(tags.begin(), tags.end(), tag) == tags.end()) {
        tags.push_back(std::move(tag));
      }
    }
    in_tag = false;
    current.clear();
  };

  int32_t i = 0;
  while (i < length) {
    UChar32 c = 0;
    U8_NEXT(s, i, length, c);
    if (in_tag) {
      if (is_tag_char(c)) {
        append(current, c);
        prev_word = true;
        continue;
      }
      finish();
    }
    if (c == '#') {
      // "a#ed" is not a tag: the '#' must not be glued to a word.
      in_tag = !prev_word;
      prev_word = false;
      continue;
    }
    prev_word = is_tag_char(c);
  }
  finish();
  return tags;
}

std::string normalize_tag(std::string_view tag) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!tag.empty() && is_space(tag.front())) {
    tag.remove_prefix(1);
  }
  while (!tag.empty() && is_space(tag.back())) {
    tag.remove_suffix(1);
  }
  while (!tag.empty() && tag.front() == '#') {
    tag.remove_prefix(1);
  }
  const auto* s = reinterpret_cast<const uint8_t*>(tag.data());
  auto length = static_cast<int32_t>(std::min<std::size_t>(tag.size(), INT32_MAX));
  std::u16string text;
  int32_t i = 0;
  while (i < length) {
    UChar32 c = 0;
    U8_NEXT(s, i, length, c);
    if (c >= 0) {
      append(text, c);
    }
  }
  return fold(text);
}

tag_verdict judge_tags(const std::vector<std::string>& tags,
                       const std::vector<std::string>& wanted,
                       const std::vector<std::string>& blocked) {
  auto contains = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  bool any_wanted = false;
  for (const auto& t : tags) {
    if (contains(blocked, t)) {
      return tag_verdict::blocked;
    }
    any_wanted = any_wanted || contains(wanted, t);
  }
  return any_wanted ? tag_verdict::import : tag_verdict::untagged;
}

} // namespace igbridge
