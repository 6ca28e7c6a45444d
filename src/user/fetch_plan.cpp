#include "user/fetch_plan.hpp"

#include <algorithm>

#include "igbridge/clock.hpp"

namespace igbridge {

namespace {

verdict verdict_of(tag_verdict v) {
  switch (v) {
    case tag_verdict::import:
      return verdict::imported;
    case tag_verdict::blocked:
      return verdict::blocked;
    case tag_verdict::untagged:
      return verdict::untagged;
  }
  return verdict::untagged;
}

} // namespace

int64_t taken_at_of(const media_item& m, int64_t fallback) {
  if (auto t = parse_iso8601(m.taken_at); t && *t > 0) {
    return *t;
  }
  return fallback;
}

namespace {

/// `require` (every tag) and the since/until window of the post's time.
bool within(const tag_rules& rules, const media_item& item, int64_t now) {
  for (const auto& t : rules.required) {
    if (std::find(item.tags.begin(), item.tags.end(), t) == item.tags.end()) {
      return false;
    }
  }
  auto taken = taken_at_of(item, now);
  return (rules.since == 0 || taken >= rules.since) && (rules.until == 0 || taken < rules.until);
}

int64_t day_start(const std::string& date) {
  if (date.empty()) {
    return 0;
  }
  return parse_iso8601(date + "T00:00:00Z").value_or(0);
}

} // namespace

tag_rules rules_from(const user_rules& r) {
  tag_rules out{r.tags, r.block, r.require, day_start(r.since), day_start(r.until)};
  if (out.until != 0) {
    out.until += 86400; // the whole of the last day
  }
  return out;
}

page_plan plan_page(const std::vector<media_item>& items,
                    const std::vector<std::optional<seen_entry>>& seen, const tag_rules& rules,
                    int64_t now, int64_t recheck_s, int budget_left) {
  page_plan p;
  p.items.resize(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& item = items[i];
    auto& plan = p.items[i];
    p.oldest_taken = taken_at_of(item, now);
    if (budget_left >= 0 && p.looked_at >= budget_left) {
      plan.action = item_action::beyond;
      p.all_new = false; // the initial fetch stops at its budget
      continue;
    }
    ++p.looked_at;
    auto judged = verdict_of(judge_tags(item.tags, rules.wanted, rules.blocked));
    if (judged == verdict::imported && !within(rules, item, now)) {
      judged = verdict::untagged; // wanted tags, but not what the rules ask for
    }
    plan.judged = judged;
    const auto& known = i < seen.size() ? seen[i] : std::nullopt;
    if (!known) {
      plan.action = judged == verdict::imported ? item_action::import : item_action::mark;
      p.imports += judged == verdict::imported ? 1 : 0;
      continue;
    }
    p.all_new = false;
    bool provisional = known->judged != verdict::imported
                       && now - known->taken_at < recheck_s;
    if (!provisional || known->caption_hash == caption_hash(item.caption)) {
      plan.action = item_action::known;
      continue;
    }
    // A caption that changed while the post is young: tags that arrived
    // late count. An import happens once; a removed tag changes nothing.
    plan.action = judged == verdict::imported ? item_action::rejudged : item_action::remark;
    p.imports += judged == verdict::imported ? 1 : 0;
  }
  return p;
}

bool keep_paging(const page_plan& p, bool has_next, bool initial, int processed, int budget,
                 int64_t oldest_provisional) {
  if (!has_next) {
    return false;
  }
  if (initial) {
    return p.all_new && processed < budget;
  }
  if (p.all_new) {
    return true;
  }
  return oldest_provisional != 0 && p.oldest_taken > oldest_provisional;
}

} // namespace igbridge
