// The fetch decisions without actors: dedupe, late tags, paging.

#include <catch2/catch.hpp>

#include "user/fetch_plan.hpp"
#include "igbridge/clock.hpp"
#include "igbridge/hashtags.hpp"

using namespace igbridge;

namespace {

const int64_t now = 1'800'000'000;
const int64_t week = 604800;

media_item post(const std::string& id, const std::string& caption, int64_t taken) {
  media_item m;
  m.id = id;
  m.caption = caption;
  m.tags = extract_hashtags(caption);
  m.taken_at = rfc3339(taken);
  return m;
}

seen_entry seen(verdict v, const std::string& caption, int64_t taken) {
  return seen_entry{taken, taken, v, caption_hash(caption)};
}

const tag_rules rules{{"ed"}, {"nofood"}};

} // namespace

TEST_CASE("new posts are imported or marked by their tags", "[fetch_plan]") {
  std::vector<media_item> items{post("1", "Lunch #ed", now - 10), post("2", "Run", now - 20),
                                post("3", "#ed #nofood", now - 30)};
  auto p = plan_page(items, {std::nullopt, std::nullopt, std::nullopt}, rules, now, week, -1);
  REQUIRE(p.items.size() == 3);
  CHECK(p.items[0].action == item_action::import);
  CHECK(p.items[1].action == item_action::mark);
  CHECK(p.items[1].judged == verdict::untagged);
  CHECK(p.items[2].action == item_action::mark);
  CHECK(p.items[2].judged == verdict::blocked);
  CHECK(p.imports == 1);
  CHECK(p.all_new);
  CHECK(p.oldest_taken == now - 30);
}

TEST_CASE("a young post whose caption gained a tag is imported once", "[fetch_plan]") {
  std::vector<media_item> items{post("1", "Lunch #ed", now - 60)};
  // Seen an hour ago without a caption: provisional, caption changed.
  auto p = plan_page(items, {seen(verdict::untagged, "", now - 60)}, rules, now, week, -1);
  CHECK(p.items[0].action == item_action::rejudged);
  CHECK(p.imports == 1);
  CHECK_FALSE(p.all_new);
  // Already imported: known, whatever the caption says now.
  p = plan_page(items, {seen(verdict::imported, "Lunch", now - 60)}, rules, now, week, -1);
  CHECK(p.items[0].action == item_action::known);
  CHECK(p.imports == 0);
  // Unchanged caption: nothing to redo.
  p = plan_page(items, {seen(verdict::untagged, "Lunch #ed", now - 60)}, rules, now, week, -1);
  CHECK(p.items[0].action == item_action::known);
}

TEST_CASE("a removed tag does not un-import, an old verdict is final", "[fetch_plan]") {
  std::vector<media_item> items{post("1", "Lunch", now - 60)};
  auto p = plan_page(items, {seen(verdict::imported, "Lunch #ed", now - 60)}, rules, now, week, -1);
  CHECK(p.items[0].action == item_action::known);
  // Older than recheck_s: the verdict stands even if the caption changed.
  std::vector<media_item> old{post("2", "Old #ed", now - week - 1)};
  p = plan_page(old, {seen(verdict::untagged, "Old", now - week - 1)}, rules, now, week, -1);
  CHECK(p.items[0].action == item_action::known);
  // Still untagged after an edit: its verdict is redone, not imported.
  std::vector<media_item> edited{post("3", "Lunch, edited", now - 60)};
  p = plan_page(edited, {seen(verdict::untagged, "Lunch", now - 60)}, rules, now, week, -1);
  CHECK(p.items[0].action == item_action::remark);
  CHECK(p.imports == 0);
}

TEST_CASE("the initial fetch stops at its budget", "[fetch_plan]") {
  std::vector<media_item> items{post("1", "#ed", now), post("2", "#ed", now - 1),
                                post("3", "#ed", now - 2)};
  auto p = plan_page(items, {std::nullopt, std::nullopt, std::nullopt}, rules, now, week, 2);
  CHECK(p.items[2].action == item_action::beyond);
  CHECK(p.imports == 2);
  CHECK(p.looked_at == 2);
  CHECK_FALSE(p.all_new);
}

TEST_CASE("paging goes on while all is new, or until the oldest provisional post",
          "[fetch_plan]") {
  page_plan all_new;
  all_new.all_new = true;
  all_new.oldest_taken = now - 100;
  CHECK(keep_paging(all_new, true, false, 3, 20, 0));
  CHECK_FALSE(keep_paging(all_new, false, false, 3, 20, 0)); // no next page
  CHECK_FALSE(keep_paging(all_new, true, true, 20, 20, 0));  // budget spent
  CHECK(keep_paging(all_new, true, true, 19, 20, 0));

  page_plan known;
  known.all_new = false;
  known.oldest_taken = now - 100;
  CHECK_FALSE(keep_paging(known, true, false, 3, 20, 0));
  // A provisional post older than this page: go on to look at its caption.
  CHECK(keep_paging(known, true, false, 3, 20, now - 500));
  // Reached it: stop.
  CHECK_FALSE(keep_paging(known, true, false, 3, 20, now - 100));
  // The initial fetch never pages for provisional posts.
  CHECK_FALSE(keep_paging(known, true, true, 3, 20, now - 500));
}

TEST_CASE("rules may require every tag of a list and a window of dates", "[fetch_plan]") {
  user_rules r;
  r.tags = {"ed"};
  r.require = {"dinner"};
  r.since = "2027-01-14";
  r.until = "2027-01-15"; // now is 2027-01-15T08:00:00Z
  auto rules2 = rules_from(r);
  CHECK(rules2.since == *parse_iso8601("2027-01-14T00:00:00Z"));
  CHECK(rules2.until == *parse_iso8601("2027-01-16T00:00:00Z")); // the whole last day
  std::vector<media_item> items{post("1", "#ed #dinner", now - 10),   // in
                                post("2", "#ed lunch", now - 20),     // lacks #dinner
                                post("3", "#dinner alone", now - 30), // lacks any wanted
                                post("4", "#ed #dinner", now - 3 * 86400)}; // before since
  auto p = plan_page(items, {std::nullopt, std::nullopt, std::nullopt, std::nullopt}, rules2, now,
                     week, -1);
  CHECK(p.items[0].action == item_action::import);
  for (int i : {1, 2, 3}) {
    CHECK(p.items[i].action == item_action::mark);
    CHECK(p.items[i].judged == verdict::untagged);
  }
  CHECK(p.imports == 1);
}
