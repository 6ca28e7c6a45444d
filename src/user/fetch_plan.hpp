#pragma once
// What a fetch does with one page, decided without actors, clocks or I/O:
// which posts to import, which to mark seen, which provisional verdicts to
// redo (late tags), and whether paging goes on. The user actor applies the
// plan in one transaction; the unit tests check the decisions directly.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "igbridge/hashtags.hpp"
#include "igbridge/provider.hpp"
#include "igbridge/records.hpp"

namespace igbridge {

/// The tags a user imports and blocks (their rules, or the configured ones).
struct tag_rules {
  std::vector<std::string> wanted;   // any
  std::vector<std::string> blocked;  // none
  std::vector<std::string> required; // all
  int64_t since = 0;                 // taken at or after (unix s); 0 = open
  int64_t until = 0;                 // taken before; 0 = open
};

/// A user's rules as a fetch applies them: dates become the first second
/// of `since` and the first second after `until`.
tag_rules rules_from(const user_rules& r);

enum class item_action {
  known,    // seen before and settled (or unchanged): nothing to do
  import,   // new and tagged: queue it, mark it imported
  mark,     // new, not imported (untagged or blocked): mark it with a provisional verdict
  rejudged, // seen with a provisional verdict, caption changed, now tagged: import it
  remark,   // seen with a provisional verdict, caption changed, still not tagged
  beyond,   // past the initial fetch's budget: left alone
};

struct item_plan {
  item_action action = item_action::known;
  verdict judged = verdict::untagged; // the verdict to store (import, mark, rejudged, remark)
};

struct page_plan {
  std::vector<item_plan> items; // one per page item, in order
  int imports = 0;
  int looked_at = 0;            // items within the budget
  bool all_new = true;          // no item within the budget was seen before
  int64_t oldest_taken = 0;     // taken_at of the last (oldest) item on the page
};

/// The decision for one page. `seen[i]` is what the store knows of item i;
/// `budget_left` < 0 means no budget (update fetches); a verdict is
/// provisional while the post is younger than `recheck_s`.
page_plan plan_page(const std::vector<media_item>& items,
                    const std::vector<std::optional<seen_entry>>& seen, const tag_rules& rules,
                    int64_t now, int64_t recheck_s, int budget_left);

/// Whether a fetch asks for the next page. Initial fetches page while every
/// post is new and the budget lasts. Update fetches page while every post
/// is new, and also past known posts while an older provisional post (the
/// oldest one younger than recheck_s, `oldest_provisional`; 0 = none)
/// has not been reached, so its caption can still be looked at.
bool keep_paging(const page_plan& p, bool has_next, bool initial, int processed, int budget,
                 int64_t oldest_provisional);

/// Unix seconds of a media item's taken_at, or `fallback` when it has none.
int64_t taken_at_of(const media_item& m, int64_t fallback);

} // namespace igbridge
