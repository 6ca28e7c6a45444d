"""Issue 19: igbridge against fakegram run as Meta documents it. Two apps'
secrets (must-show 1), the cancel redirect (2), transient errors end to end
(3), rate-limit holds that fetch-now respects (4), and the shapes fakegram
sends by default or behind a flag (6)."""

import base64
import hashlib
import hmac
import json
import secrets
import time
import unittest
import urllib.parse

from harness import (Browser, DaemonTest, Fakegram, Igbridge, free_port, get, post, sign_sha256,
                     wait_until)
from pipeline import link_alice, media_records, parse_time

COMMENTS_SCOPE = "instagram_business_manage_comments"


def metric(ig, name, labels=""):
    for line in ig.metrics_text().splitlines():
        if line.startswith(name + labels + " "):
            return float(line.split()[-1])
    return 0.0


def as_json(body):
    """fakegram hands igbridge's answer back parsed when it was JSON."""
    return body if isinstance(body, dict) else json.loads(body)


def signed_request(secret, user_id):
    payload = base64.urlsafe_b64encode(json.dumps(
        {"algorithm": "HMAC-SHA256", "issued_at": int(time.time()), "user_id": user_id}
    ).encode()).rstrip(b"=")
    sig = base64.urlsafe_b64encode(hmac.new(secret.encode(), payload, hashlib.sha256).digest())
    return (sig.rstrip(b"=") + b"." + payload).decode()


class TwoApps(DaemonTest):
    """Must-show 1: distinct Instagram and Meta app credentials."""

    def setUp(self):
        super().setUp()
        self.port = free_port()
        hooks = f"http://127.0.0.1:{self.port}/hooks/instagram"
        self.fg = self.track(Fakegram(
            "graph", app_id="777000111", meta_app_secret="meta-" + secrets.token_hex(12),
            webhook_url=hooks,
            deauthorize_url=f"http://127.0.0.1:{self.port}/hooks/instagram/deauthorize",
            data_deletion_url=f"http://127.0.0.1:{self.port}/hooks/instagram/data-deletion"))
        self.assertNotEqual(self.fg.meta_app_secret, self.fg.client_secret)
        self.ig = self.track(Igbridge(self.fg, port=self.port, extra={"instagram": {
            "webhook_fields": ["mentions"],
            "scopes": ["instagram_business_basic", COMMENTS_SCOPE]}})).start()

    def test_subscriptions_use_the_meta_pair(self):
        ig = self.ig
        for action in ("create", "list", "delete"):
            r = ig.cli("subscriptions", action)
            self.assertEqual(r.returncode, 0, action + ": " + r.stdout + r.stderr)
        listed = get(f"{self.fg.base}/{self.fg.app_id}/subscriptions?access_token="
                     + urllib.parse.quote(f"{self.fg.app_id}|{self.fg.meta_app_secret}")).json()
        self.assertEqual(listed["data"], [])  # deleted again
        # The Instagram app's secret is refused by Meta (code 190) ...
        refused = get(f"{self.fg.base}/{self.fg.app_id}/subscriptions?access_token="
                      + urllib.parse.quote(f"{self.fg.app_id}|{self.fg.client_secret}"))
        self.assertEqual(refused.json()["error"]["code"], 190)
        # ... so a wrong or missing Meta secret fails with a message naming the key.
        ig.write_secret("wrong_meta", "not-it")
        ig.sections["instagram"]["meta_app_secret_file"] = ig.secret_path("wrong_meta")
        ig.write_config()
        r = ig.cli("subscriptions", "list")
        self.assertEqual(r.returncode, 1)
        self.assertIn("meta_app_secret_file", r.stderr)
        ig.sections["instagram"].pop("meta_app_secret_file")
        ig.write_config()
        for action in ("create", "list", "delete"):
            r = ig.cli("subscriptions", action)
            self.assertEqual(r.returncode, 1, action)
            self.assertIn("instagram.meta_app_secret_file", r.stderr)
            self.assertNotIn(self.fg.client_secret, r.stdout + r.stderr)

    def test_webhooks_and_signed_requests_verify_against_either_secret(self):
        ig, fg = self.ig, self.fg
        acct = fg.account("alice.cooks")
        link_alice(self, fg, ig)
        # fakegram signs with the Meta secret (its default when it has one).
        self.assertEqual(fg.mention(acct["id"])["status"], 200)
        url = ig.public + "/hooks/instagram"
        body = json.dumps({"object": "instagram", "entry": [
            {"id": acct["id"], "time": 1, "changes": [{"field": "mentions"}]}]}).encode()
        for secret, status in ((fg.client_secret, 200), (fg.meta_app_secret, 200),
                               ("someone-else", 403)):
            r = post(url, body, headers={"Content-Type": "application/json",
                                         "X-Hub-Signature-256": sign_sha256(secret, body)})
            self.assertEqual(r.status, status, secret)
        self.assertEqual(metric(ig, "igbridge_signature_key_total", '{key="meta"}'), 2)
        self.assertEqual(metric(ig, "igbridge_signature_key_total", '{key="instagram"}'), 1)
        # signed_requests: deauthorize and data deletion, either secret.
        for path in ("deauthorize", "data-deletion"):
            bad = post(f"{url}/{path}", urllib.parse.urlencode(
                {"signed_request": signed_request("someone-else", acct["app_scoped_id"])}).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"})
            self.assertEqual(bad.status, 403, path)
        good = post(f"{url}/deauthorize", urllib.parse.urlencode(
            {"signed_request": signed_request(fg.client_secret, acct["app_scoped_id"])}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(good.status, 200)
        self.assertEqual(ig.user_json("alice")["state"], "unlinked")
        deletion = fg.data_deletion(acct["id"])  # signed with the Meta secret
        self.assertEqual(deletion["status"], 200, deletion)
        self.assertIn("confirmation_code", as_json(deletion["body"]))
        self.assertEqual(metric(ig, "igbridge_signature_key_total", '{key="meta"}'), 3)
        self.assertNotIn(fg.meta_app_secret, ig.log())


class Cancel(DaemonTest):
    """Must-show 2: Meta's cancel redirect carries no state."""

    def setUp(self):
        super().setUp()
        self.fg = self.track(Fakegram("graph"))
        self.ig = self.track(Igbridge(self.fg, extra={
            "link": {"cancel_url": "http://127.0.0.1:9/app/cancelled"}})).start()
        self.fg.account("alice.cooks")

    def consent_deny(self, b):
        """Starts a link and clicks Deny on fakegram's consent page."""
        r = b.get(self.ig.link_url("alice"))
        self.assertEqual(r.status, 302)
        authorize = urllib.parse.urlsplit(r.header("Location"))
        q = urllib.parse.parse_qs(authorize.query)
        decide = (f"{self.fg.base}/oauth/authorize/decide?" + urllib.parse.urlencode(
            {k: v[0] for k, v in q.items()}) + "&decision=deny")
        r = b.get(decide)
        self.assertEqual(r.status, 302)
        callback = r.header("Location")
        self.assertIn("error=access_denied", callback)
        self.assertNotIn("state=", callback)  # as Meta's sample shows
        return callback, q["state"][0]

    def test_cancel_without_state_finds_the_attempt_by_its_cookie(self):
        b = Browser()
        callback, _ = self.consent_deny(b)
        r = b.get(callback)
        self.assertEqual(r.status, 302, r.body)
        loc = r.header("Location")
        self.assertTrue(loc.startswith(self.ig.success_url), loc)
        self.assertIn("instagram=error&reason=denied", loc)
        self.assertEqual(self.ig.user("alice").status, 404)

    def test_cancel_with_state_and_no_cookie(self):
        callback, state = self.consent_deny(Browser())
        r = Browser().get(callback + "&state=" + state)  # another browser: no cookie
        self.assertEqual(r.status, 302, r.body)
        self.assertIn("instagram=error&reason=denied", r.header("Location"))

    def test_cancel_with_neither_links_to_cancel_url(self):
        callback, _ = self.consent_deny(Browser())
        r = Browser().get(callback)
        self.assertEqual(r.status, 200)
        self.assertIn(b'href="http://127.0.0.1:9/app/cancelled"', r.body)
        self.assertNotIn(b"not valid", r.body)


class Transient(DaemonTest):
    """Must-show 3 end to end: Meta's transient errors on HTTP 400."""

    TRANSIENT = {"error_code": 2, "status": 400, "is_transient": True}

    def test_a_burst_in_the_middle_of_a_paged_fetch(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg, import_overrides={"update_count": 3, "poll": False})).start()
        acct = fg.account("alice.cooks")
        link_alice(self, fg, ig)
        posts = [fg.post_media(acct["id"], f"Meal {i} #ed") for i in range(7)]
        # Page 1 is slow; while it is answered, page 2's burst is set up.
        calls = fg.media_calls()
        fg.faults(delay_ms=1500, count=1, account=acct["id"])
        self.assertEqual(ig.fetch_now("alice").status, 202)
        wait_until(lambda: fg.media_calls() > calls, what="page 1 asked")
        fg.faults(count=2, account=acct["id"], **self.TRANSIENT)
        wait_until(lambda: len(media_records(ig)) == 7, timeout=30, what="all seven imported")
        ids = [r["media_id"] for r in media_records(ig)]
        self.assertEqual(sorted(ids), sorted(posts))  # each once
        u = ig.user_json("alice")
        self.assertEqual(u["last_error"], "")
        self.assertEqual(u["fetch_failures"], 0)
        self.assertEqual(metric(ig, "igbridge_fetches_total", '{outcome="transient"}'), 2)
        self.assertGreaterEqual(fg.media_calls() - calls, 3 + 2)

    def test_a_burst_during_a_link(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg)).start()
        acct = fg.account("alice.cooks")
        # The code exchange carries no token and is never repeated; the
        # long-lived exchange, with the account's token, meets the burst.
        fg.faults(count=2, account=acct["id"], **self.TRANSIENT)
        final = ig.link("alice", "alice.cooks")
        self.assertIn("instagram=connected", final)
        self.assertEqual(ig.user_json("alice")["state"], "active")
        self.assertEqual(fg.calls("GET /access_token"), 3)


class Holds(DaemonTest):
    """Must-show 4 end to end: fetch-now during a hold calls nothing."""

    def test_fetch_now_during_an_account_hold(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg, import_overrides={"poll": False})).start()
        acct = fg.account("alice.cooks")
        link_alice(self, fg, ig)
        mid = fg.post_media(acct["id"], "Held soup #ed")
        # A Business Use Case limit on her account for 0.1 minute (6 s).
        fg.faults(rate_limit="buc", account=acct["id"], regain_minutes=0.1, hold=True)
        self.assertEqual(ig.fetch_now("alice").status, 202)
        u = wait_until(lambda: (lambda u: u if "rate_limited" in u["last_error"] else None)(
            ig.user_json("alice")), timeout=10, what="the limit")
        self.assertIsNotNone(u["held_until"])
        calls = fg.media_calls()
        r = ig.fetch_now("alice")
        self.assertEqual(r.status, 429, r.body)
        self.assertEqual(r.json()["error"], "rate_limited")
        retry_at = parse_time(r.json()["retry_at"])
        self.assertAlmostEqual(retry_at - time.time(), 6, delta=4)
        time.sleep(1)
        self.assertEqual(fg.media_calls(), calls)  # nothing asked of the provider
        # Once the hold is over, it fetches (on its own schedule) and imports.
        wait_until(lambda: mid in [x["media_id"] for x in media_records(ig)], timeout=20,
                   what="the import after the hold")

    def test_fetch_now_during_the_apps_hold(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg, import_overrides={"poll": False})).start()
        fg.account("alice.cooks")
        link_alice(self, fg, ig)
        fg.faults(rate_limit="app", count=1)
        self.assertEqual(ig.fetch_now("alice").status, 202)
        wait_until(lambda: metric(ig, "igbridge_provider_rate_limits_total", '{scope="app"}') == 1,
                   what="the app limit")
        calls = fg.media_calls()
        r = ig.fetch_now("alice")
        self.assertEqual(r.status, 429, r.body)
        self.assertGreater(parse_time(r.json()["retry_at"]), time.time() + 30)
        time.sleep(1)
        self.assertEqual(fg.media_calls(), calls)


class Shapes(DaemonTest):
    """Must-show 6: what the live API sends, and what its docs show."""

    def test_wrapped_token_and_me(self):
        fg = self.track(Fakegram("graph", flags=["--wrapped-token", "--wrapped-me"]))
        ig = self.track(Igbridge(fg)).start()
        acct = fg.account("alice.cooks")
        link_alice(self, fg, ig)
        u = ig.user_json("alice")
        self.assertEqual(u["instagram_user_id"], acct["id"])
        self.assertEqual(u["app_scoped_id"], acct["app_scoped_id"])

    def test_messaging_and_dashboard_tests_fetch_nothing_and_carousels_store_videos(self):
        port = free_port()
        fg = self.track(Fakegram("graph", webhook_url=f"http://127.0.0.1:{port}/hooks/instagram"))
        ig = self.track(Igbridge(fg, port=port, import_overrides={"poll": False})).start()
        acct = fg.account("alice.cooks")
        link_alice(self, fg, ig)  # the flat token answer with a numeric user_id
        self.assertEqual(ig.user_json("alice")["app_scoped_id"], acct["app_scoped_id"])
        calls = fg.media_calls()
        dm = post(f"{fg.base}/_fake/accounts/{acct['id']}/message", {"text": "hi"}).json()
        self.assertEqual(dm["status"], 200, dm)
        self.assertEqual(as_json(dm["body"])["hinted"], 0)
        for field in ("comments", "mentions", "messages"):
            t = post(f"{fg.base}/_fake/test-webhook", {"field": field}).json()
            self.assertEqual(t["status"], 200, t)
            self.assertEqual(as_json(t["body"])["hinted"], 0)
        time.sleep(2.5)  # past webhook_delay_s
        self.assertEqual(fg.media_calls(), calls)
        # A carousel holding a video: every child stored.
        mid = fg.post_media(acct["id"], "Two ways #ed",
                            children=[{"media_type": "VIDEO"}, {"media_type": "IMAGE"}])
        self.assertEqual(ig.fetch_now("alice").status, 202)
        rec = wait_until(lambda: next((x for x in media_records(ig) if x["media_id"] == mid), None),
                         timeout=20, what="the carousel")
        self.assertEqual([m["type"] for m in rec["media"]], ["VIDEO", "IMAGE"])
        self.assertEqual(rec["media"][0]["content_type"], "video/mp4")
        for m in rec["media"]:
            self.assertEqual(get(m["url"]).status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
