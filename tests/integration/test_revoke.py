"""Issue 3, must-show 5: a token the provider stopped accepting puts the user
in reauth_required, delivers a link.revoked event and stops polling."""

import time
import unittest

from harness import DaemonTest, Fakegram, Igbridge, get, wait_until
from pipeline import fetches_ended, link_alice, media_records, parse_time, settle


class Revoke(DaemonTest):
    def revoke(self, dialect):
        fg = self.track(Fakegram(dialect))
        ig = self.track(Igbridge(fg)).start()
        acct = fg.account("alice.cooks")
        fg.post_media(acct["id"], "Before #ed")
        link_alice(self, fg, ig)
        self.assertEqual(len(media_records(ig)), 1)
        u = ig.user_json("alice")
        self.assertEqual(u["state"], "active")
        self.assertIsNotNone(u["next_fetch_at"])

        fg.revoke(acct["id"])
        self.assertEqual(fg.tokens(acct["id"]), [])
        fg.post_media(acct["id"], "After #ed")
        before = fetches_ended(ig)
        t0 = time.time()
        self.assertEqual(ig.fetch_now("alice").status, 202)
        u = wait_until(lambda: (lambda u: u if u["state"] != "active" else None)(
            ig.user_json("alice")), timeout=20, what="state change")
        self.assertEqual(u["state"], "reauth_required")
        self.assertFalse(u["linked"])
        self.assertIsNone(u["next_fetch_at"])  # polling stopped
        self.assertIn("token", u["last_error"])
        self.assertGreater(fetches_ended(ig), before)
        settle(ig)

        events = [r for r in ig.imports() if r.get("type") == "link.revoked"]
        self.assertEqual(len(events), 1, ig.imports())
        ev = events[0]
        self.assertEqual(ev["user"], "alice")
        self.assertEqual(ev["instagram_user_id"], acct["id"])
        self.assertGreaterEqual(parse_time(ev["revoked_at"]), int(t0))
        self.assertTrue(ev["id"])
        # nothing was imported with the dead token
        self.assertEqual([r["caption"] for r in media_records(ig)], ["Before #ed"])

        # fetch now is refused and does not reach the provider
        calls = fg.media_calls()
        r = ig.fetch_now("alice")
        self.assertEqual(r.status, 409, r.body)
        time.sleep(1)
        self.assertEqual(fg.media_calls(), calls)
        # still so after a restart: no schedule is restored for the user
        ig.restart()
        time.sleep(1)
        u = ig.user_json("alice")
        self.assertEqual(u["state"], "reauth_required")
        self.assertIsNone(u["next_fetch_at"])
        self.assertEqual(ig.fetch_now("alice").status, 409)
        self.assertEqual(fg.media_calls(), calls)
        self.assertEqual(len([r for r in ig.imports() if r.get("type") == "link.revoked"]), 1)
        self.assertEqual(get(ig.public + "/livez").status, 200)

        # re-linking brings the user back and the post made meanwhile arrives
        link_alice(self, fg, ig)
        self.assertEqual(ig.user_json("alice")["state"], "active")
        self.assertEqual(sorted(r["caption"] for r in media_records(ig)), ["After #ed", "Before #ed"])

    def test_graph(self):
        self.revoke("graph")

    def test_legacy(self):
        self.revoke("legacy")


if __name__ == "__main__":
    unittest.main(verbosity=2)
