/// Storing a fake post (control API and demo page) and telling igbridge.

#include "publish.hpp"

#include "notify.hpp"
#include "tags.hpp"
#include "timefmt.hpp"

namespace fakegram {

namespace {

constexpr std::size_t min_children = 2; // Instagram carousels hold 2 to 10 items
constexpr std::size_t max_children = 10;
// A video of at least a few KiB keeps its MP4 boxes; a GiB is plenty to
// test large downloads without making fakegram's memory the limit.
constexpr std::uint64_t min_video_bytes = 1024;
constexpr std::uint64_t max_video_bytes = std::uint64_t{1} << 30;

} // namespace

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
  std::vector<std::string> children;
  if (type == "CAROUSEL_ALBUM") {
    children = p.children.value_or(std::vector<std::string>(min_children, "IMAGE"));
    if (children.size() < min_children || children.size() > max_children) {
      error = "children must be 2-10 for a CAROUSEL_ALBUM";
      return std::nullopt;
    }
    for (const auto& child : children) {
      if (child != "IMAGE" && child != "VIDEO") {
        error = "a carousel child's media_type is IMAGE or VIDEO";
        return std::nullopt;
      }
    }
  } else if (p.children) {
    error = "children needs media_type CAROUSEL_ALBUM";
    return std::nullopt;
  }
  if (p.video_bytes && type != "VIDEO") {
    error = "video_bytes needs media_type VIDEO";
    return std::nullopt;
  }
  if (p.video_bytes && (*p.video_bytes < min_video_bytes || *p.video_bytes > max_video_bytes)) {
    error = "video_bytes must be 1024 to 1073741824";
    return std::nullopt;
  }
  // An empty caption is no caption: graph then omits the key, legacy says null.
  std::optional<std::string> caption = p.caption;
  if (caption && caption->empty()) {
    caption.reset();
  }
  state::new_media in;
  in.tags = p.tags ? normalize_tags(*p.tags) : extract_hashtags(caption.value_or(""));
  in.caption = std::move(caption);
  in.media_type = type;
  in.created_time = p.created_time.value_or(unix_now());
  in.caption_visible_at_ms = p.caption_after_ms > 0 ? unix_now_ms() + p.caption_after_ms : 0;
  in.no_media_url = p.no_media_url;
  in.children = std::move(children);
  in.video_bytes = p.video_bytes.value_or(0);
  auto m = a.st.add_media(account_id, std::move(in));
  // Legacy had a realtime update per post. Graph has no new-media webhook at
  // all; --media-webhooks adds one for the demo (a mentions change).
  if (m && (!a.graph() || a.opts.media_webhooks)) {
    a.notes.media_posted(m->account_id, m->id);
  }
  return m;
}

} // namespace fakegram
