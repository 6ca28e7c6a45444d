#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "delivery/media_download.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/media.hpp"
#include "../store/temp_dir.hpp"

using namespace igbridge;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::size_t files_in(const std::string& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) {
    ++n;
  }
  return n;
}

const std::string png = std::string("\x89PNG\r\n\x1A\n", 8) + std::string(5000, 'p');

} // namespace

TEST_CASE("media download: pieces land in a temp file, hashed on the way", "[media][download]") {
  test::temp_dir dir;
  media_download_sink sink(dir.path() + "/media", 1 << 20);
  for (std::size_t i = 0; i < png.size(); i += 1000) {
    REQUIRE(sink.write(std::string_view(png).substr(i, 1000)).empty());
  }
  sink.finish(true);
  auto d = sink.result();
  CHECK(d.bytes == png.size());
  CHECK(d.sha256 == to_hex(sha256(png)));
  CHECK(sniff_media(d.head)->ext == "png");
  CHECK(d.head.size() == 16);
  // Never under a name the media route serves, until the store renames it.
  auto name = std::filesystem::path(d.temp_path).filename().string();
  CHECK(name.rfind(".tmp-dl-", 0) == 0);
  CHECK(!valid_media_name(name));
  CHECK(read_file(d.temp_path) == png);
}

TEST_CASE("media download: too large, failed or abandoned leaves no file", "[media][download]") {
  test::temp_dir dir;
  SECTION("over max_bytes") {
    media_download_sink sink(dir.path(), 6000);
    CHECK(sink.write(png).empty());
    CHECK(sink.write(png) == "media file larger than media.max_bytes");
    CHECK(sink.error() == "media file larger than media.max_bytes");
    sink.finish(false);
  }
  SECTION("the exchange failed") {
    media_download_sink sink(dir.path(), 1 << 20);
    CHECK(sink.write(png).empty());
    sink.finish(false);
    CHECK(sink.error().empty()); // not the disk's fault
  }
  SECTION("dropped unfinished") {
    media_download_sink sink(dir.path(), 1 << 20);
    CHECK(sink.write(png).empty());
  }
  CHECK(files_in(dir.path()) == 0);
}

TEST_CASE("media download: an empty body makes no file", "[media][download]") {
  test::temp_dir dir;
  media_download_sink sink(dir.path(), 1 << 20);
  sink.finish(true);
  CHECK(sink.result().temp_path.empty());
  CHECK(sink.result().bytes == 0);
  CHECK(files_in(dir.path()) == 0);
}
