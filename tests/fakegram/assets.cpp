/// Generated pictures for people (demo page, permalinks, legacy image URLs):
/// SVGs that show the caption, and the avatars. The API's graph media URLs
/// point at the CDN (cdn.cpp) instead.

#include "assets.hpp"

#include "codec.hpp"
#include "timefmt.hpp"

#include <functional>

namespace fakegram {

namespace {

/// A pleasant background colour that stays the same for the same id.
std::string colour_for(const std::string& key) {
  static const char* palette[] = {"#e76f51", "#2a9d8f", "#e9c46a", "#264653", "#f4a261",
                                  "#8ab17d", "#6d597a", "#b56576", "#457b9d", "#bc6c25"};
  return palette[std::hash<std::string>{}(key) % (sizeof palette / sizeof palette[0])];
}

/// Greedy word wrap; long words are cut. Counts bytes, which is fine for a picture.
std::vector<std::string> wrap(const std::string& text, std::size_t width, std::size_t max_lines) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t i = 0;
  while (i < text.size() && lines.size() < max_lines) {
    auto end = text.find_first_of(" \n", i);
    std::string word = text.substr(i, end == std::string::npos ? std::string::npos : end - i);
    i = end == std::string::npos ? text.size() : end + 1;
    while (word.size() > width) {
      if (!line.empty()) {
        lines.push_back(line);
        line.clear();
      }
      lines.push_back(word.substr(0, width));
      word = word.substr(width);
    }
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    if (!word.empty()) {
      line += (line.empty() ? "" : " ") + word;
    }
  }
  if (!line.empty() && lines.size() < max_lines) {
    lines.push_back(line);
  }
  if (lines.size() > max_lines) {
    lines.resize(max_lines);
  }
  return lines;
}

reply svg_reply(std::string svg) {
  auto r = text_reply(200, std::move(svg), "image/svg+xml");
  r.headers.emplace_back("Cache-Control", "public, max-age=3600");
  return r;
}

} // namespace

reply handle_media_image(app& a, const std::string& media_id) {
  auto m = a.st.find_post_of(media_id);
  if (!m) {
    return json_reply(404, {{"error", "unknown media " + media_id}});
  }
  auto who = a.st.find_account(m->account_id);
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"640\" "
                    "viewBox=\"0 0 640 640\">\n<rect width=\"640\" height=\"640\" fill=\"" + colour_for(m->id)
                    + "\"/>\n<g font-family=\"sans-serif\" fill=\"#fff\">\n";
  int y = 120;
  std::optional<std::string> caption; // a late caption is not on the picture yet
  if (m->caption_shown(unix_now_ms())) {
    caption = m->caption;
  }
  for (const auto& line : wrap(caption.value_or("(no caption)"), 26, 12)) {
    svg += "<text x=\"40\" y=\"" + std::to_string(y) + "\" font-size=\"36\">" + html_escape(line)
           + "</text>\n";
    y += 44;
  }
  svg += "<text x=\"40\" y=\"600\" font-size=\"22\" opacity=\"0.8\">@"
         + html_escape(who ? who->username : std::string("?")) + " · fakegram " + html_escape(media_id)
         + "</text>\n</g>\n</svg>\n";
  return svg_reply(std::move(svg));
}

reply handle_avatar(app& a, const std::string& account_id) {
  auto who = a.st.find_account(account_id);
  if (!who) {
    return json_reply(404, {{"error", "unknown account " + account_id}});
  }
  std::string initial = who->username.substr(0, 1);
  return svg_reply("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"150\" height=\"150\">"
                   "<circle cx=\"75\" cy=\"75\" r=\"75\" fill=\"" + colour_for(who->id) + "\"/>"
                   "<text x=\"75\" y=\"100\" font-family=\"sans-serif\" font-size=\"72\" "
                   "fill=\"#fff\" text-anchor=\"middle\">" + html_escape(initial) + "</text></svg>\n");
}

reply handle_permalink(app& a, const request& req, const std::string& media_id) {
  auto m = a.st.find_media(media_id);
  if (!m) {
    return html_reply(404, "<!doctype html><title>fakegram</title><p>No such post.</p>\n");
  }
  auto who = a.st.find_account(m->account_id);
  std::string html = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>fakegram post "
                     + html_escape(m->id) + "</title></head><body style=\"font-family:sans-serif;"
                     "max-width:40em;margin:2em auto\">\n<p><b>@" + html_escape(who ? who->username : "?")
                     + "</b> · " + html_escape(graph_timestamp(m->created_time)) + "</p>\n<img src=\"/_fake/media/"
                     + html_escape(m->id) + ".svg\" width=\"480\" height=\"480\" alt=\"\">\n<p id=\"caption\">"
                     + html_escape(m->caption_shown(unix_now_ms()) ? m->caption.value_or("") : std::string())
                     + "</p>\n<p><a href=\"/\">fakegram home</a></p>\n"
                     "</body></html>\n";
  return html_reply(200, std::move(html));
}

} // namespace fakegram
