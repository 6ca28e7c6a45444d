"""Issue 3, must-show 1: tagged posts reach the JSONL sink once each, with
every field of the import record, for both dialects; re-fetches and
restarts add nothing; new posts and long runs of posts (paging) arrive."""

import time
import unittest
import urllib.parse

from harness import DaemonTest, Fakegram, Igbridge, get
from pipeline import (caption_tags, fetch_and_wait, link_alice, media_records, parse_time,
                      settle)

RECORD_FIELDS = {"id", "user", "instagram_user_id", "media_id", "caption", "tags", "media_type",
                 "media_url", "permalink", "taken_at", "imported_at"}

# (caption, imported?)
FIVE_POSTS = [
    ("Lunch bowl from the market #eatdifferent", True),
    ("Dinner with friends #ED, then dessert", True),
    ("Just a sunset, no tags", False),
    ("Fries again #eatdifferent #nofood", False),   # blocked tag wins
    ("Found mushrooms, all #edible", False),        # #edible is not #ed
]


class Import(DaemonTest):
    def check_record(self, rec, acct, media_id, caption, posted_at, fg):
        self.assertTrue(RECORD_FIELDS <= set(rec), f"missing {RECORD_FIELDS - set(rec)} in {rec}")
        self.assertEqual(rec.get("type"), "media.imported")
        self.assertEqual(rec["id"], "instagram:" + media_id)
        self.assertEqual(rec["user"], "alice")
        self.assertEqual(rec["instagram_user_id"], acct["id"])
        self.assertEqual(rec["media_id"], media_id)
        self.assertEqual(rec["caption"], caption)
        self.assertEqual(rec["tags"], caption_tags(caption))
        self.assertEqual(rec["media_type"], "IMAGE")
        for key in ("media_url", "permalink"):
            url = rec[key]
            self.assertTrue(url.startswith(fg.base + "/"), (key, url))
            self.assertIn(media_id, urllib.parse.urlsplit(url).path, (key, url))
            self.assertEqual(get(url).status, 200, (key, url))
        taken = parse_time(rec["taken_at"])
        self.assertLessEqual(abs(taken - posted_at), 5, rec["taken_at"])
        imported = parse_time(rec["imported_at"])
        self.assertGreaterEqual(imported, int(taken))
        self.assertLessEqual(imported, time.time() + 1)

    def five_posts(self, dialect):
        fg = self.track(Fakegram(dialect))
        ig = self.track(Igbridge(fg)).start()
        acct = fg.account("alice.cooks")
        posts = []
        for caption, wanted in FIVE_POSTS:
            posts.append((fg.post_media(acct["id"], caption), caption, wanted, time.time()))
        # posted before linking: the initial fetch picks them up
        link_alice(self, fg, ig)
        recs = media_records(ig)
        wanted = [p for p in posts if p[2]]
        self.assertEqual(sorted(r["media_id"] for r in recs), sorted(p[0] for p in wanted),
                         [r["caption"] for r in recs])
        by_id = {r["media_id"]: r for r in recs}
        for media_id, caption, _, posted_at in wanted:
            self.check_record(by_id[media_id], acct, media_id, caption, posted_at, fg)
        u = ig.user_json("alice")
        self.assertEqual(u["imported"], 2)
        self.assertIsNotNone(u["last_fetch_at"])
        self.assertEqual(u["last_error"], "")

        # a second fetch adds nothing
        calls = fg.media_calls()
        fetch_and_wait(self, ig, fg)
        self.assertGreater(fg.media_calls(), calls)
        self.assertEqual(len(media_records(ig)), 2)

        # nor does a restart, nor a fetch after it
        ig.restart()
        fetch_and_wait(self, ig, fg)
        self.assertEqual(len(media_records(ig)), 2)
        self.assertEqual(ig.user_json("alice")["imported"], 2)

        # a post made now arrives after a fetch, an untagged one does not
        new_id = fg.post_media(acct["id"], "Breakfast #EatDifferent")
        t_new = time.time()
        fg.post_media(acct["id"], "Commute selfie")
        fetch_and_wait(self, ig, fg)
        recs = media_records(ig)
        self.assertEqual(len(recs), 3)
        self.check_record(recs[-1], acct, new_id, "Breakfast #EatDifferent", t_new, fg)
        self.assertEqual(ig.user_json("alice")["imported"], 3)
        self.assertEqual(len({r["id"] for r in recs}), 3)

    def test_graph(self):
        self.five_posts("graph")

    def test_legacy(self):
        self.five_posts("legacy")


class Paging(DaemonTest):
    def paging(self, dialect):
        fg = self.track(Fakegram(dialect))
        ig = self.track(Igbridge(fg, import_overrides={"update_count": 3})).start()
        acct = fg.account("alice.cooks")
        old = fg.post_media(acct["id"], "Old post #ed")
        link_alice(self, fg, ig)
        self.assertEqual([r["media_id"] for r in media_records(ig)], [old])
        ids = [fg.post_media(acct["id"], f"Meal {i} #eatdifferent") for i in range(10)]
        calls = fg.media_calls()
        fetch_and_wait(self, ig, fg)
        recs = media_records(ig)
        self.assertEqual(sorted(r["media_id"] for r in recs[1:]), sorted(ids))
        self.assertEqual(len(recs), 11)
        # 10 new posts at 3 a page: at least four pages, and it stopped at
        # the known post instead of walking the whole history again
        self.assertGreaterEqual(fg.media_calls() - calls, 4)
        self.assertLessEqual(fg.media_calls() - calls, 5)
        self.assertEqual(ig.user_json("alice")["imported"], 11)

    def test_graph(self):
        self.paging("graph")

    def test_legacy(self):
        self.paging("legacy")

    def test_initial_fetch_is_bounded(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg, import_overrides={"initial_count": 5})).start()
        acct = fg.account("alice.cooks")
        ids = [fg.post_media(acct["id"], f"Meal {i} #ed") for i in range(8)]
        link_alice(self, fg, ig)
        settle(ig)
        # the newest five only; older history is not imported
        self.assertEqual(sorted(r["media_id"] for r in media_records(ig)), sorted(ids[-5:]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
