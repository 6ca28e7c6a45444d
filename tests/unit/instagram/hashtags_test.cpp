#include "igbridge/hashtags.hpp"

#include <catch2/catch.hpp>

using namespace igbridge;
using tags = std::vector<std::string>;

TEST_CASE("hashtags are case-folded and end at punctuation", "[hashtags]") {
  CHECK(extract_hashtags("#Eat_Different2") == tags{"eat_different2"});
  CHECK(extract_hashtags("lunch #ed.") == tags{"ed"});
  CHECK(extract_hashtags("#edible") == tags{"edible"});
  CHECK(extract_hashtags("#ED, #ed and #Ed") == tags{"ed"});
  CHECK(extract_hashtags("Lentil soup #eatdifferent #homemade") ==
        tags{"eatdifferent", "homemade"});
  CHECK(extract_hashtags("#a-b") == tags{"a"});
  CHECK(extract_hashtags("(#ed)") == tags{"ed"});
}

TEST_CASE("a '#' glued to a word starts no tag", "[hashtags]") {
  CHECK(extract_hashtags("a#ed").empty());
  CHECK(extract_hashtags("_#ed").empty());
  CHECK(extract_hashtags("9#ed").empty());
  CHECK(extract_hashtags("##ed") == tags{"ed"});
  CHECK(extract_hashtags("#ed#food") == tags{"ed"});
}

TEST_CASE("lonely '#' is nothing", "[hashtags]") {
  CHECK(extract_hashtags("#").empty());
  CHECK(extract_hashtags("# ed").empty());
  CHECK(extract_hashtags("").empty());
  CHECK(extract_hashtags("no tags here").empty());
}

TEST_CASE("tags in any script", "[hashtags]") {
  CHECK(extract_hashtags("#café") == tags{"café"});
  CHECK(extract_hashtags("#cafe\xCC\x81") == tags{"café"}); // decomposed accent
  CHECK(extract_hashtags("#ÉD") == tags{"éd"});
  CHECK(extract_hashtags("#日本食 delicious") == tags{"日本食"});
  CHECK(extract_hashtags("#Straße") == tags{"strasse"});
  CHECK(extract_hashtags("#ΣΟΥΠΑ") == tags{"σουπα"});
  CHECK(extract_hashtags("#ed\xF0\x9F\x8D\x9C #soup") == tags{"ed", "soup"}); // emoji ends a tag
}

TEST_CASE("invalid UTF-8 never crashes", "[hashtags]") {
  CHECK(extract_hashtags("#ed\xFF\xFEmore") == tags{"ed"});
  CHECK(extract_hashtags("\xC3") .empty());
  CHECK(extract_hashtags("#\xC3") .empty());
  CHECK(extract_hashtags("#\xE6\x97") .empty());
  std::string junk;
  for (int i = 0; i < 4096; ++i) {
    junk += static_cast<char>((i * 37) & 0xFF);
  }
  (void)extract_hashtags(junk);
  CHECK(normalize_tag("\xFF#x").size() <= 3);
}

TEST_CASE("configured tags are normalized", "[hashtags]") {
  CHECK(normalize_tag("#Ed") == "ed");
  CHECK(normalize_tag("EatDifferent") == "eatdifferent");
  CHECK(normalize_tag(" #Café ") == "café");
  CHECK(normalize_tag("#").empty());
}

TEST_CASE("the import decision", "[hashtags]") {
  tags wanted{"eatdifferent", "ed"};
  tags blocked{"private"};
  CHECK(judge_tags({"lunch", "ed"}, wanted, blocked) == tag_verdict::import);
  CHECK(judge_tags({"lunch"}, wanted, blocked) == tag_verdict::untagged);
  CHECK(judge_tags({}, wanted, blocked) == tag_verdict::untagged);
  CHECK(judge_tags({"ed", "private"}, wanted, blocked) == tag_verdict::blocked);
  CHECK(judge_tags({"private"}, wanted, blocked) == tag_verdict::blocked);
}
