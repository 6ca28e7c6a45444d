#include "publish.hpp"

#include "notify.hpp"
#include "tags.hpp"
#include "timefmt.hpp"

namespace fakegram {

std::optional<media> publish_media(app& a, const std::string& account_id, const post_request& p,
                                   std::string& error) {
  std::string type = p.media_type;
  for (char& c : type) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  if (type == "CAROUSEL") {
    type = "CAROUSEL_ALBUM";
  }
  if (type != "IMAGE" && type != "VIDEO" && type != "CAROUSEL_ALBUM") {
    error = "media_type must be IMAGE, VIDEO or CAROUSEL_ALBUM";
    return std::nullopt;
  }
  // An empty caption is no caption: graph then omits the key, legacy says null.
  std::optional<std::string> caption = p.caption;
  if (caption && caption->empty()) {
    caption.reset();
  }
  auto tags = p.tags ? normalize_tags(*p.tags) : extract_hashtags(caption.value_or(""));
  auto m = a.st.add_media(account_id, caption, std::move(tags), type,
                          p.created_time.value_or(unix_now()));
  if (m) {
    a.notes.media_posted(m->account_id, m->id);
  }
  return m;
}

} // namespace fakegram
