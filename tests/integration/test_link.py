"""Account linking end to end, both dialects, against the real processes."""

import glob
import os
import time
import unittest
import urllib.parse

from harness import (Browser, DaemonTest, Fakegram, Igbridge, get, wait_until)


class LinkFlow(DaemonTest):
    def run_flow(self, dialect):
        fg = self.track(Fakegram(dialect))
        ig = self.track(Igbridge(fg)).start()
        acct = fg.account("alice.cooks")
        final = ig.link("alice", "alice.cooks")
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(final).query)
        self.assertEqual(q.get("instagram"), ["connected"], final)
        self.assertTrue(final.startswith(ig.success_url))
        u = ig.user_json("alice")
        self.assertTrue(u["linked"])
        self.assertEqual(u["state"], "active")
        self.assertEqual(u["instagram_user_id"], acct["id"])
        self.assertEqual(u["username"], "alice.cooks")
        self.assertIsNotNone(u["linked_at"])
        self.assertNotIn("token", u)
        if dialect == "graph":
            self.assertIsNotNone(u["token_expires_at"])
            self.assertEqual(fg.calls("GET /access_token"), 1)
        # survives a restart
        ig.restart()
        u2 = ig.user_json("alice")
        self.assertTrue(u2["linked"])
        self.assertEqual(u2["instagram_user_id"], acct["id"])
        self.assertEqual(u2["username"], "alice.cooks")
        return fg, ig

    def test_graph(self):
        self.run_flow("graph")

    def test_legacy(self):
        self.run_flow("legacy")

    def test_two_users_same_account_and_relink(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg)).start()
        acct = fg.account("shared.acct")
        ig.link("bob", "shared.acct")
        ig.link("carol", "shared.acct")
        self.assertEqual(ig.user_json("bob")["instagram_user_id"], acct["id"])
        self.assertEqual(ig.user_json("carol")["instagram_user_id"], acct["id"])
        # linking again replaces the token and stays linked
        ig.link("bob", "shared.acct")
        self.assertTrue(ig.user_json("bob")["linked"])

    def test_relink_during_fetch_keeps_fetching(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg, import_overrides={"poll": False})).start()
        acct = fg.account("alice.cooks")
        ig.link("alice", "alice.cooks")
        wait_until(lambda: ig.user_json("alice")["last_fetch_at"], what="initial fetch")
        fg.faults(delay_ms=3000, count=1)
        self.assertEqual(ig.fetch_now("alice").status, 202)
        time.sleep(0.5)  # the media call is now held by fakegram
        ig.link("alice", "alice.cooks")
        time.sleep(3)  # the held answer arrives for the old link and is dropped
        media_id = fg.post_media(acct["id"], "After relink #eatdifferent")
        self.assertEqual(ig.fetch_now("alice").status, 202)
        wait_until(lambda: [x for x in ig.imports() if x.get("media_id") == media_id],
                   timeout=15, what="import after a re-link during a fetch")

    def test_unknown_user_is_404(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg)).start()
        self.assertEqual(ig.user("nobody").status, 404)


class LinkRejections(DaemonTest):
    def setUp(self):
        super().setUp()
        self.fg = self.track(Fakegram("graph"))
        self.ig = self.track(Igbridge(self.fg)).start()
        self.fg.account("alice.cooks")

    def assertNothingStored(self, user="alice"):
        self.assertEqual(self.ig.user(user).status, 404)

    def start_flow(self, browser):
        r = browser.get(self.ig.link_url("alice"))
        self.assertEqual(r.status, 302)
        return r.header("Location")

    def callback_url(self, browser):
        """Walks to fakegram and returns the callback URL it redirects to."""
        authorize = self.start_flow(browser) + "&as=alice.cooks"
        r = browser.get(authorize)
        self.assertEqual(r.status, 302)
        return r.header("Location").split("#")[0]

    def test_bad_signature(self):
        url = self.ig.link_url("alice")
        bad = url.replace("user=alice", "user=mallory")
        r = get(bad)
        self.assertEqual(r.status, 403)
        self.assertIn(b"not valid", r.body)
        self.assertEqual(self.ig.user("mallory").status, 404)
        self.assertEqual(get(url[: url.index("&sig=")] + "&sig=00").status, 403)

    def test_expired_link(self):
        url = self.ig.link_url("alice", ttl=1)
        time.sleep(2.1)
        r = get(url)
        self.assertEqual(r.status, 403)
        self.assertIn(b"expired", r.body)
        self.assertIsNone(r.header("Set-Cookie"))

    def test_start_sets_cookie_and_redirects_to_provider(self):
        b = Browser()
        r = b.get(self.ig.link_url("alice"))
        self.assertEqual(r.status, 302)
        cookie = r.header("Set-Cookie")
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Lax", cookie)
        self.assertNotIn("Secure", cookie)  # public_url is http
        loc = urllib.parse.urlsplit(r.header("Location"))
        q = urllib.parse.parse_qs(loc.query)
        self.assertEqual(q["client_id"], ["1234567890"])
        self.assertEqual(q["redirect_uri"], [self.ig.public + "/oauth/instagram/callback"])
        self.assertEqual(q["scope"], ["instagram_business_basic"])
        self.assertEqual(q["response_type"], ["code"])
        self.assertEqual(len(q["state"][0]), 32)

    def test_reused_state(self):
        b = Browser()
        cb = self.callback_url(b)
        r = b.get(cb)
        self.assertEqual(r.status, 302)
        self.assertIn("instagram=connected", r.header("Location"))
        self.ig.stop()
        self.ig.start()
        # same state again (even with the code) is refused
        b2 = Browser()
        b2.cookies = {k: dict(v) for k, v in b.cookies.items()}
        r2 = b.get(cb)
        self.assertEqual(r2.status, 403)

    def test_missing_cookie(self):
        b = Browser()
        cb = self.callback_url(b)
        r = get(cb)  # no cookie jar
        self.assertEqual(r.status, 403)
        self.assertNothingStored()
        # the real browser can still finish: the state was not burnt
        r = b.get(cb)
        self.assertEqual(r.status, 302)
        self.assertIn("instagram=connected", r.header("Location"))

    def test_wrong_cookie(self):
        b = Browser()
        cb = self.callback_url(b)
        r = get(cb, headers={"Cookie": "igb_oauth=" + "0" * 32})
        self.assertEqual(r.status, 403)
        self.assertNothingStored()

    def test_unknown_state(self):
        r = get(self.ig.public + "/oauth/instagram/callback?code=abc&state=" + "f" * 32)
        self.assertEqual(r.status, 403)
        self.assertNothingStored()

    def test_missing_code(self):
        b = Browser()
        cb = self.callback_url(b)
        parts = urllib.parse.urlsplit(cb)
        q = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "code"]
        r = b.get(self.ig.public + "/oauth/instagram/callback?" + urllib.parse.urlencode(q))
        self.assertEqual(r.status, 400)
        self.assertNothingStored()

    def test_denial(self):
        b = Browser()
        authorize = self.start_flow(b)
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(authorize).query)["state"][0]
        r = b.get(self.ig.public + "/oauth/instagram/callback?error=access_denied"
                  "&error_reason=user_denied&error_description=denied&state=" + state)
        self.assertEqual(r.status, 302)
        loc = r.header("Location")
        self.assertTrue(loc.startswith(self.ig.success_url))
        self.assertIn("instagram=error", loc)
        self.assertIn("reason=denied", loc)
        self.assertNothingStored()

    def test_provider_failure(self):
        b = Browser()
        cb = self.callback_url(b)
        self.fg.faults(status=500, count=1)
        r = b.get(cb)
        self.assertEqual(r.status, 302)
        self.assertIn("instagram=error&reason=provider", r.header("Location"))
        self.assertNothingStored()

    def test_provider_timeout(self):
        b = Browser()
        cb = self.callback_url(b)
        self.fg.faults(delay_ms=15000, count=1)
        t0 = time.time()
        r = b.get(cb)
        self.assertEqual(r.status, 302)
        self.assertIn("instagram=error&reason=provider", r.header("Location"))
        self.assertLess(time.time() - t0, 14)
        self.assertNothingStored()


class TokenAtRest(DaemonTest):
    def test_tokens_sealed_with_key_file(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg, key=True)).start()
        acct = fg.account("alice.cooks")
        ig.link("alice", "alice.cooks")
        ig.stop()
        tokens = fg.tokens(acct["id"])
        self.assertTrue(tokens)
        blobs = b""
        for path in glob.glob(os.path.join(ig.dir, "db", "*")):
            if not os.path.isfile(path):
                continue  # the media directory beside the LMDB files
            with open(path, "rb") as f:
                blobs += f.read()
        log = ig.log()
        for t in tokens:
            self.assertNotIn(t.encode(), blobs)
            self.assertNotIn(t, log)
        self.assertNotIn(fg.client_secret, log)
        # and it still works after a restart: the key unseals it
        ig.start()
        self.assertEqual(ig.user_json("alice")["state"], "active")


if __name__ == "__main__":
    unittest.main(verbosity=2)
