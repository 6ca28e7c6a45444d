#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "igbridge/media.hpp"

using namespace igbridge;
using nlohmann::json;

TEST_CASE("media sources: image, video + thumbnail, carousel children in order", "[media]") {
  auto image = json{{"media_type", "IMAGE"}, {"media_url", "https://cdn/i.jpg"}};
  auto s = media_sources(image);
  REQUIRE(s.size() == 1);
  CHECK(s[0].type == "IMAGE");

  auto video = json{{"media_type", "VIDEO"}, {"media_url", "https://cdn/v.mp4"},
                    {"thumbnail_url", "https://cdn/t.jpg"}};
  s = media_sources(video);
  REQUIRE(s.size() == 2);
  CHECK(s[0].type == "VIDEO");
  CHECK(s[0].url == "https://cdn/v.mp4");
  CHECK(s[1].type == "IMAGE");
  CHECK(s[1].url == "https://cdn/t.jpg");

  auto carousel = json{{"media_type", "CAROUSEL_ALBUM"},
                       {"media_url", "https://cdn/first.jpg"},
                       {"children", json::array({
                          {{"media_type", "IMAGE"}, {"media_url", "https://cdn/1.jpg"}},
                          {{"media_type", "VIDEO"}, {"media_url", "https://cdn/2.mp4"}},
                          {{"media_type", "VIDEO"}, {"thumbnail_url", "https://cdn/3.jpg"}},
                        })}};
  s = media_sources(carousel);
  REQUIRE(s.size() == 3);
  CHECK(s[0].url == "https://cdn/1.jpg");
  CHECK(s[1].type == "VIDEO");
  CHECK(s[2].type == "IMAGE");
  CHECK(s[2].url == "https://cdn/3.jpg");

  CHECK(media_sources(json{{"media_type", "VIDEO"}}).empty()); // media_url may be absent
  CHECK(media_sources(json("not an object")).empty());
}

TEST_CASE("a re-read's fresh URLs replace the record's, children by id", "[media]") {
  auto carousel = json{{"media_type", "CAROUSEL_ALBUM"},
                       {"media_url", "https://cdn/old-first.jpg"},
                       {"children", json::array({
                          {{"id", "1"}, {"media_type", "IMAGE"}, {"media_url", "https://cdn/old1.jpg"}},
                          {{"id", "2"}, {"media_type", "VIDEO"}, {"media_url", "https://cdn/old2.mp4"},
                           {"thumbnail_url", "https://cdn/old2.jpg"}},
                        })}};
  media_item fresh;
  fresh.media_url = "https://cdn/new-first.jpg";
  fresh.children = {{"2", "", "https://cdn/new2.mp4", "https://cdn/new2.jpg"},
                    {"1", "", "https://cdn/new1.jpg", ""}};
  auto s = refreshed_sources(carousel, fresh);
  REQUIRE(s.size() == 2);
  CHECK(s[0].url == "https://cdn/new1.jpg");
  CHECK(s[0].type == "IMAGE");
  CHECK(s[1].url == "https://cdn/new2.mp4");
  CHECK(s[1].type == "VIDEO"); // the kinds are the record's: the re-read asks only URLs

  fresh.children.pop_back(); // child 1 is gone from the fresh read
  s = refreshed_sources(carousel, fresh);
  CHECK(s.size() == 1); // a different list: the caller sees the post changed

  auto video = json{{"media_type", "VIDEO"}, {"media_url", "https://cdn/old.mp4"},
                    {"thumbnail_url", "https://cdn/old.jpg"}};
  media_item v;
  v.media_url = "https://cdn/new.mp4";
  v.thumbnail_url = "https://cdn/new.jpg";
  s = refreshed_sources(video, v);
  REQUIRE(s.size() == 2);
  CHECK(s[0].url == "https://cdn/new.mp4");
  CHECK(s[1].url == "https://cdn/new.jpg");
}

TEST_CASE("a CDN URL's expiry is its oe parameter, a hex unix time", "[media]") {
  CHECK(url_expiry("https://scontent.cdninstagram.com/v/x.jpg?_nc_sid=1&oh=00_ab&oe=6571A3F0")
        == 0x6571A3F0);
  CHECK(url_expiry("https://cdn/x.jpg?oe=6571a3f0&oh=1") == 0x6571A3F0);
  CHECK(url_expiry("https://cdn/x.jpg?oe=6571A3F0#frag") == 0x6571A3F0);
  CHECK(url_expiry("https://cdn/x.jpg?toe=5") == 0);
  CHECK(url_expiry("https://cdn/x.jpg?oe=") == 0);
  CHECK(url_expiry("https://cdn/x.jpg?oe=zz") == 0);
  CHECK(url_expiry("https://cdn/oe=5/x.jpg") == 0);
  CHECK(url_expiry("https://cdn/x.jpg") == 0);
}

TEST_CASE("sniffing goes by the bytes, not the name", "[media]") {
  CHECK(sniff_media(std::string("\xFF\xD8\xFF\xE0", 4) + "rest")->ext == "jpg");
  CHECK(sniff_media("\x89PNG\r\n\x1A\n....")->content_type == "image/png");
  CHECK(sniff_media("GIF89a...")->ext == "gif");
  auto webp = sniff_media(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16));
  REQUIRE(webp);
  CHECK(webp->ext == "webp");
  auto mp4 = sniff_media(std::string("\0\0\0\x18" "ftypisom", 12));
  REQUIRE(mp4);
  CHECK(mp4->video);
  CHECK(mp4->content_type == "video/mp4");
  CHECK(!sniff_media("<html>Access denied</html>"));
  CHECK(!sniff_media(""));
}

TEST_CASE("only sha256.ext names are media names", "[media]") {
  std::string sha(64, 'a');
  CHECK(valid_media_name(sha + ".jpg"));
  CHECK(valid_media_name(sha + ".mp4"));
  CHECK(!valid_media_name(sha + ".exe"));
  CHECK(!valid_media_name(std::string(64, 'A') + ".jpg"));
  CHECK(!valid_media_name("../" + sha.substr(3) + ".jpg"));
  CHECK(!valid_media_name(".tmp-" + sha + ".jpg"));
  CHECK(!valid_media_name(sha + ".jpg/x"));
  CHECK(media_content_type(sha + ".mov") == "video/quicktime");
  stored_media m{"IMAGE", "u", sha, "image/webp", 1};
  CHECK(media_name(m) == sha + ".webp");
  auto back = stored_media_from_json(to_json(m));
  REQUIRE(back);
  CHECK(back->sha256 == sha);
}
