"""Issue 9, must-show 1 and 2: posts whose caption (and so their tags)
arrives after the post is listed (DESIGN §8 "Late tags").

1. A post listed without its caption, the caption (with #ed) showing 3 s
   later: polling every second imports it exactly once. A caption edited
   from untagged to #ed a minute after posting is imported once, at the
   next fetch. A tag removed after the import changes nothing.
2. A webhook hint at t (webhook_delay_s = 3) and a fetch-now at t+1: a post
   whose caption appears at t+2 is imported by the fetch that starts at or
   after t+3 — the fetch-now does not discharge the hint, and the hint
   still makes one fetch."""

import math
import re
import time
import unittest

from harness import DaemonTest, Fakegram, Igbridge, free_port, wait_until
from pipeline import fetches_ended, link_alice, media_records, parse_time, pending, settle

EVERY_SECOND = {"poll": True, "poll_tiers_s": [1, 1, 1, 1]}


def metric(ig, name, labels=""):
    m = re.search(r"^" + re.escape(name + labels) + r" (\S+)$", ig.metrics_text(), re.M)
    return float(m.group(1)) if m else 0.0


def judged(ig, result):
    """Posts judged so by fetches since start-up (igbridge_media_total)."""
    return metric(ig, "igbridge_media_total", '{result="%s"}' % result)


def records_of(ig, media_id):
    return [r for r in media_records(ig) if r["media_id"] == media_id]


class LateCaption(DaemonTest):
    """Must-show 1: polling every second, the caption comes late or changes."""

    def setUp(self):
        super().setUp()
        self.fg = self.track(Fakegram("graph"))
        self.ig = self.track(Igbridge(self.fg, import_overrides=EVERY_SECOND)).start()
        self.acct = self.fg.account("alice.cooks")
        link_alice(self, self.fg, self.ig)

    def wait_fetches(self, n, timeout=30):
        """Waits until `n` more fetches have ended (polling every second)."""
        target = fetches_ended(self.ig) + n
        wait_until(lambda: fetches_ended(self.ig) >= target, timeout=timeout,
                   what=f"{n} more fetches")

    def test_caption_after_3s_imported_once(self):
        untagged = judged(self.ig, "untagged")
        t0 = time.time()
        mid = self.fg.post_media(self.acct["id"], "Late lentils #ed", caption_after_s=3)
        # While the caption is hidden, polls list the post without it and
        # leave it (a provisional verdict), importing nothing.
        wait_until(lambda: judged(self.ig, "untagged") > untagged, timeout=10,
                   what="a poll that saw the post without its caption")
        self.assertLess(time.time() - t0, 3, "no poll ran before the caption appeared")
        self.assertEqual(records_of(self.ig, mid), [])
        wait_until(lambda: records_of(self.ig, mid), timeout=15, what="the late import")
        self.assertGreaterEqual(time.time() - t0, 2.9, "imported before its caption showed")
        # Later polls see the same caption again: nothing more.
        self.wait_fetches(4)
        settle(self.ig)
        recs = records_of(self.ig, mid)
        self.assertEqual(len(recs), 1, recs)
        self.assertEqual(recs[0]["caption"], "Late lentils #ed")
        self.assertEqual(recs[0]["tags"], ["ed"])
        self.assertEqual(len(media_records(self.ig)), 1)
        self.assertEqual(self.ig.user_json("alice")["imported"], 1)
        self.assertEqual(judged(self.ig, "rejudged"), 1)

    def test_caption_edited_a_minute_later_then_tag_removed(self):
        tagged_mid = self.fg.post_media(self.acct["id"], "Tagged from the start #eatdifferent")
        t0 = time.time()
        mid = self.fg.post_media(self.acct["id"], "Plain lunch")
        wait_until(lambda: records_of(self.ig, tagged_mid), timeout=10, what="the tagged post")
        # A minute of polls, each listing the untagged post.
        before = fetches_ended(self.ig)
        time.sleep(max(0.0, t0 + 60 - time.time()))
        self.assertGreaterEqual(fetches_ended(self.ig) - before, 30, "polls every second")
        self.assertEqual(records_of(self.ig, mid), [])

        t_edit = time.time()
        self.fg.edit_caption(self.acct["id"], mid, "Plain lunch, now #ed")  # no webhook
        wait_until(lambda: records_of(self.ig, mid), timeout=10, what="the edited post's import")
        rec = records_of(self.ig, mid)[0]
        self.assertEqual(rec["caption"], "Plain lunch, now #ed")
        self.assertEqual(rec["tags"], ["ed"])
        # at the next fetch: polls run every second, one may have been under way
        self.assertLessEqual(parse_time(rec["imported_at"]), t_edit + 3, rec)
        self.assertEqual(judged(self.ig, "rejudged"), 1)
        self.wait_fetches(3)
        self.assertEqual(len(records_of(self.ig, mid)), 1)

        # Tags removed after the import: no new import; the host hears of
        # each edit once, as media.updated (import.on_untag = "update"), and
        # the imports stay counted.
        settle(self.ig)
        lines = len(self.ig.imports())
        self.fg.edit_caption(self.acct["id"], mid, "Plain lunch")
        self.fg.edit_caption(self.acct["id"], tagged_mid, "Tagged from the start")
        self.wait_fetches(4)
        settle(self.ig)
        news = self.ig.imports()[lines:]
        self.assertEqual(sorted((l["type"], l["media_id"], l["caption"]) for l in news),
                         sorted([("media.updated", mid, "Plain lunch"),
                                 ("media.updated", tagged_mid, "Tagged from the start")]), news)
        self.assertEqual(pending(self.ig), [])
        self.assertEqual(len(records_of(self.ig, mid)), 1)
        self.assertEqual(len(records_of(self.ig, tagged_mid)), 1)
        self.assertEqual(self.ig.user_json("alice")["imported"], 2)
        self.assertEqual(judged(self.ig, "rejudged"), 1)


class HintDischarge(DaemonTest):
    """Must-show 2: a fetch that starts before a hint's due time does not
    discharge it."""

    def test_fetch_now_before_the_hint_is_due(self):
        port = free_port()
        fg = self.track(Fakegram("graph", webhook_url=f"http://127.0.0.1:{port}/hooks/instagram"))
        ig = self.track(Igbridge(fg, port=port, import_overrides={
            "poll": False, "webhook_delay_s": 3})).start()
        acct = fg.account("alice.cooks")
        link_alice(self, fg, ig)
        calls = fg.media_calls()
        untagged = judged(ig, "untagged")

        # Start just after a second boundary: igbridge keeps whole seconds.
        wait_until(lambda: time.time() % 1 < 0.2, timeout=2, interval=0.01, what="a new second")
        t = time.time()
        mid = fg.post_media(acct["id"], "Soup that took a while #ed", caption_after_s=2)
        hint = fg.mention(acct["id"])  # a real graph webhook for the account
        self.assertEqual(hint["status"], 200, hint)
        self.assertEqual(hint["body"]["hinted"], 1, hint)

        time.sleep(max(0.0, t + 1 - time.time()))
        before = fetches_ended(ig)
        self.assertEqual(ig.fetch_now("alice").status, 202)
        wait_until(lambda: fetches_ended(ig) > before, timeout=5, what="the fetch-now")
        # Precondition: the fetch-now listed the post before its caption showed.
        self.assertLess(time.time(), t + 2, "the fetch-now ended after the caption appeared")
        self.assertEqual(fg.media_calls(), calls + 1)
        self.assertEqual(judged(ig, "untagged"), untagged + 1)
        self.assertEqual(records_of(ig, mid), [])

        # The hint still stands: its fetch starts at or after t+3 and sees
        # the caption.
        while time.time() < t + 2.8:
            self.assertEqual(records_of(ig, mid), [], "imported before the hint was due")
            time.sleep(0.05)
        wait_until(lambda: records_of(ig, mid), timeout=10, what="the hinted fetch's import")
        seen_at = time.time()
        rec = records_of(ig, mid)[0]
        self.assertGreaterEqual(seen_at, math.floor(t) + 3)
        self.assertGreaterEqual(parse_time(rec["imported_at"]), math.floor(t) + 3, rec)
        self.assertEqual(rec["caption"], "Soup that took a while #ed")
        self.assertEqual(judged(ig, "rejudged"), 1)
        # exactly one fetch for the hint, and none after it
        time.sleep(2)
        self.assertEqual(fg.media_calls(), calls + 2, fg.stats())
        self.assertEqual(len(media_records(ig)), 1)
        u = ig.user_json("alice")
        self.assertEqual(u["imported"], 1)
        self.assertIsNone(u["next_fetch_at"])  # polling off, the hint discharged


if __name__ == "__main__":
    unittest.main(verbosity=2)
