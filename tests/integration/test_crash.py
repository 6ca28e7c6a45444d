"""Issue 3, must-show 6: kill -9 while several hundred tagged posts are being
fetched and delivered; after a restart every post is delivered, and only
records that were in flight at the kill may arrive twice."""

import random
import time
import unittest

from harness import DaemonTest, Fakegram, Igbridge, wait_until
from pipeline import fetch_and_wait, link_alice, media_records, pending

POSTS = 400
PAGE = 50
JSONL_BATCH = 256  # the most records one JSONL append can hold in flight


def line_count(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


class Crash(DaemonTest):
    def test_kill9_during_import(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg, import_overrides={"update_count": PAGE})).start()
        acct = fg.account("alice.cooks")
        link_alice(self, fg, ig)
        self.assertEqual(media_records(ig), [])
        ids = [fg.post_media(acct["id"], f"Meal {i} #eatdifferent") for i in range(POSTS)]
        self.assertEqual(len(set(ids)), POSTS)

        # Slow pages a little, so the kill lands in the middle of the fetch
        # (pages still to come) as well as of delivery (lines being written).
        fg.faults(delay_ms=300, count=POSTS // PAGE)
        self.assertEqual(ig.fetch_now("alice").status, 202)
        wait_until(lambda: line_count(ig.jsonl) >= 1, timeout=30, interval=0.005,
                   what="first imports in the sink")
        ig.kill9()
        kills = 1
        at_kill = line_count(ig.jsonl)
        self.assertLess(at_kill, POSTS, "the kill came too late to test anything")

        # Second crash, at a random moment of the resumed work.
        ig.start()
        self.assertEqual(ig.fetch_now("alice").status, 202)
        time.sleep(random.uniform(0.05, 0.6))
        ig.kill9()
        kills += 1

        ig.start()
        # Generous: every import downloads its picture first (slow under ASan).
        fetch_and_wait(self, ig, fg, timeout=180)
        wait_until(lambda: not pending(ig), timeout=120, what="outbox empty")
        recs = media_records(ig)
        got = [r["media_id"] for r in recs]
        missing = set(ids) - set(got)
        self.assertEqual(len(missing), 0, f"{len(missing)} posts never delivered "
                                          f"(lines at first kill: {at_kill})")
        self.assertEqual(set(got), set(ids))
        duplicates = len(got) - POSTS
        self.assertLessEqual(duplicates, JSONL_BATCH * kills,
                             f"{duplicates} redelivered records for {kills} kills")
        # every line is a whole record (no torn writes survive a restart)
        for r in recs:
            self.assertEqual(r["id"], "instagram:" + r["media_id"])
        # nothing more arrives later: the seen set holds all of them
        fetch_and_wait(self, ig, fg)
        self.assertEqual(len(media_records(ig)), len(recs))
        self.assertEqual(ig.user_json("alice")["imported"], POSTS)

    def test_torn_last_line_is_dropped(self):
        # what a crash in the middle of an append would leave behind
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg)).start()
        acct = fg.account("alice.cooks")
        first = fg.post_media(acct["id"], "Soup #ed")
        link_alice(self, fg, ig)
        ig.stop()
        with open(ig.jsonl, "a") as f:
            f.write('{"type":"media.imported","id":"instagram:9')
        ig.start()
        second = fg.post_media(acct["id"], "Stew #ed")
        fetch_and_wait(self, ig, fg)
        self.assertEqual([r["media_id"] for r in media_records(ig)], [first, second])


if __name__ == "__main__":
    unittest.main(verbosity=2)
