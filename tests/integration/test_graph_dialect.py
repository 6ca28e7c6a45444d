"""Issue 9, must-show 3 to 8: the graph dialect as Meta documents it
(DESIGN §8), against a fakegram that is strict about it.

3. `/me` answers an app-scoped `id` and a different `user_id`: linking
   stores both; deauthorize and data deletion sent by fakegram with the
   app-scoped id (or the professional one) reach the right user only.
4. `igbridge subscriptions create|list|delete` speak to the Facebook Graph
   host's `/{app-id}/subscriptions`; fakegram's hub.challenge GET reaches
   /hooks/instagram and the subscription exists only when igbridge echoed
   it; check-config refuses a webhook field whose scope is not requested.
5. A Business Use Case limit on account A holds A for
   estimated_time_to_regain_access while B keeps importing; an app limit
   holds everyone.
6. A carousel of 3 and a video are imported with their children and the
   video's thumbnail in the record (and a video without media_url).
7. Code 10 (and 200-299) → reauth_required with the reason and link.revoked;
   igbridge never asks to refresh a token younger than 24 h, which fakegram
   would refuse.
8. Token refresh end to end: with fakegram's token aged and igbridge's wall
   clock moved as far ahead (libfaketime), igbridge refreshes the token
   before it expires and fetches with the new one; a refresh that keeps
   failing ends in reauth_required with link.revoked delivered."""

import base64
import glob
import hashlib
import json
import re
import shutil
import subprocess
import time
import unittest
import urllib.parse

from harness import IGBRIDGE, DaemonTest, Fakegram, Igbridge, free_port, get, wait_until
from pipeline import fetch_and_wait, link_alice, media_records, parse_time, settle

DAY = 86400
APP_ID = "555000111222333"  # not the client id: subscriptions must use instagram.app_id
COMMENTS_SCOPE = "instagram_business_manage_comments"


def metric(ig, name, labels=""):
    m = re.search(r"^" + re.escape(name + labels) + r" (\S+)$", ig.metrics_text(), re.M)
    return float(m.group(1)) if m else 0.0


def hooks_answers(ig, status):
    """Answers of the public /hooks/instagram route with that status."""
    return metric(ig, "igbridge_http_requests_total",
                  '{listener="public",route="/hooks/instagram",status="%d"}' % status)


def signed_request_user(sr):
    payload = sr.split(".", 1)[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["user_id"]


def revoked_events(ig, user=None):
    return [r for r in ig.imports()
            if r.get("type") == "link.revoked" and (user is None or r["user"] == user)]


def faults_pending(fg):
    return get(fg.base + "/_fake/faults").json()["pending"]


def clock_ahead(seconds):
    """Environment for `igbridge serve` whose wall clock runs `seconds`
    ahead (libfaketime; the monotonic clock, which timers use, is left
    alone). ASan's runtime must come first when the binary has it."""
    libs = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    if not libs:
        raise AssertionError("libfaketime is not installed (`make deps` installs it)")
    preload = [libs[0]]
    ldd = subprocess.run(["ldd", IGBRIDGE], capture_output=True, text=True).stdout
    asan = re.search(r"^\s*libasan\.so\S*\s+=>\s+(\S+)", ldd, re.M)
    if asan:
        preload.insert(0, asan.group(1))
    return {"LD_PRELOAD": ":".join(preload), "FAKETIME": "%+d" % int(seconds),
            "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


def sha256_of(url):
    r = get(url)
    assert r.status == 200, (url, r.status, r.body[:200])
    return hashlib.sha256(r.body).hexdigest()


class BothIds(DaemonTest):
    """Must-show 3."""

    def test_link_stores_both_ids_and_callbacks_find_the_right_user(self):
        port = free_port()
        hooks = f"http://127.0.0.1:{port}/hooks/instagram"
        fg = self.track(Fakegram("graph", webhook_url=hooks,
                                 deauthorize_url=hooks + "/deauthorize",
                                 data_deletion_url=hooks + "/data-deletion"))
        ig = self.track(Igbridge(fg, port=port, import_overrides={"poll": False,
                                                                   "webhook_delay_s": 1})).start()
        users = {"alice": "alice.cooks", "bob": "bob.bakes", "carol": "carol.grills",
                 "dave": "dave.dines"}
        accts = {}
        for user, username in users.items():
            accts[user] = a = fg.account(username)
            self.assertNotEqual(a["id"], a["app_scoped_id"])
            fg.post_media(a["id"], f"{username} eats #ed")
            self.assertIn("instagram=connected", ig.link(user, username))
        wait_until(lambda: len(media_records(ig)) == 4, timeout=20, what="four initial imports")

        # Linking stored both: the professional id (webhooks, records) and the app-scoped id.
        for user, a in accts.items():
            u = ig.user_json(user)
            self.assertEqual(u["instagram_user_id"], a["id"], u)
            self.assertEqual(u["app_scoped_id"], a["app_scoped_id"], u)
        for rec in media_records(ig):
            self.assertEqual(rec["instagram_user_id"], accts[rec["user"]]["id"], rec)
        # No webhook fields configured: no per-account subscription at link time.
        self.assertEqual(fg.calls("POST /me/subscribed_apps"), 0, fg.stats())
        # A webhook carries the professional id and reaches its user.
        hint = fg.mention(accts["dave"]["id"])
        self.assertEqual((hint["status"], hint["body"]["hinted"]), (200, 1), hint)

        # Deauthorize, as Meta sends it: with the app-scoped id.
        d = fg.deauthorize(accts["alice"]["id"])
        self.assertEqual(d["status"], 200, d)
        self.assertEqual(signed_request_user(d["signed_request"]), accts["alice"]["app_scoped_id"])
        u = ig.user_json("alice")
        self.assertEqual(u["state"], "unlinked")
        self.assertFalse(u["linked"])
        settle(ig)
        ev = revoked_events(ig)
        self.assertEqual([e["user"] for e in ev], ["alice"], ev)
        self.assertEqual(ev[0]["instagram_user_id"], accts["alice"]["id"])

        # Data deletion with the app-scoped id erases bob, and only bob.
        d = fg.data_deletion(accts["bob"]["id"])
        self.assertEqual(d["status"], 200, d)
        self.assertEqual(signed_request_user(d["signed_request"]), accts["bob"]["app_scoped_id"])
        self.assertTrue(d["body"]["confirmation_code"], d)
        self.assertEqual(get(d["body"]["url"]).json()["status"], "completed")
        self.assertEqual(ig.user("bob").status, 404)
        # ... and with the professional id, carol.
        d = fg.data_deletion(accts["carol"]["id"], user_id=accts["carol"]["id"])
        self.assertEqual(d["status"], 200, d)
        self.assertEqual(ig.user("carol").status, 404)

        # The others are untouched.
        self.assertEqual(ig.user_json("alice")["state"], "unlinked")
        u = ig.user_json("dave")
        self.assertEqual(u["state"], "active")
        self.assertEqual(u["app_scoped_id"], accts["dave"]["app_scoped_id"])
        mid = fg.post_media(accts["dave"]["id"], "Dave's dinner #ed")
        fetch_and_wait(self, ig, fg, user="dave")
        self.assertIn(mid, [r["media_id"] for r in media_records(ig) if r["user"] == "dave"])
        self.assertEqual(len(revoked_events(ig)), 1)


class GraphSubscriptions(DaemonTest):
    """Must-show 4."""

    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.fg = self.track(Fakegram("graph", app_id=APP_ID))
        self.ig = self.track(Igbridge(self.fg, port=self.port, extra={"instagram": {
            "webhook_fields": ["mentions"],
            "scopes": ["instagram_business_basic", COMMENTS_SCOPE]}}))

    def sub_posts(self):
        return self.fg.calls(f"POST /{APP_ID}/subscriptions")

    def listed(self, ig=None):
        r = (ig or self.ig).cli("subscriptions", "list")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return json.loads(r.stdout)["data"]

    def test_create_list_delete(self):
        ig = self.ig
        # Without the daemon nobody answers the challenge: Meta (fakegram) refuses.
        r = ig.cli("subscriptions", "create")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("2200", r.stderr)
        self.assertEqual(self.sub_posts(), 1)
        self.assertEqual(self.listed(), [])

        ig.start()
        # The CLI's verify token differs from the daemon's: the daemon does
        # not echo the challenge (403), so no subscription is made.
        other = Igbridge(self.fg, workdir=ig.dir + "-other", port=self.port,
                         verify_token="not-the-daemons", extra={"instagram": {
                             "webhook_fields": ["mentions"],
                             "scopes": ["instagram_business_basic", COMMENTS_SCOPE]}})
        self.addCleanup(shutil.rmtree, other.dir, True)
        r = other.cli("subscriptions", "create")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(hooks_answers(ig, 403), 1)
        self.assertEqual(hooks_answers(ig, 200), 0)
        self.assertEqual(self.listed(), [])

        # The right token: the daemon echoes the challenge, the subscription exists.
        r = ig.cli("subscriptions", "create")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(hooks_answers(ig, 200), 1)  # the challenge GET, echoed
        self.assertEqual(self.sub_posts(), 3)
        # on the Facebook Graph host, versioned, for the app id
        raw = get(self.fg.base + "/_fake/stats").json()["calls"]
        self.assertTrue(any(re.fullmatch(r"POST /v\d+\.\d+/" + APP_ID + "/subscriptions", k)
                            for k in raw), raw)
        subs = self.listed()
        self.assertEqual(len(subs), 1, subs)
        self.assertEqual(subs[0]["object"], "instagram")
        self.assertEqual(subs[0]["callback_url"], ig.public + "/hooks/instagram")
        self.assertEqual([f["name"] for f in subs[0]["fields"]], ["mentions"])

        # With fields configured, linking asks for their scope and subscribes the account.
        acct = self.fg.account("alice.cooks")
        link_alice(self, self.fg, ig)
        self.assertEqual(self.fg.account_info(acct["id"])["subscribed_fields"], ["mentions"])
        perms = {p for t in self.fg.account_info(acct["id"])["token_details"]
                 for p in t["permissions"]}
        self.assertIn(COMMENTS_SCOPE, perms)

        r = ig.cli("subscriptions", "delete")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.listed(), [])

    def test_field_without_scope_refused(self):
        ig = self.ig
        ig.sections["instagram"]["webhook_fields"] = ["comments"]
        ig.sections["instagram"]["scopes"] = ["instagram_business_basic"]
        ig.write_config()
        r = subprocess.run([IGBRIDGE, "check-config", "-c", ig.config_path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("instagram.webhook_fields", r.stderr)
        self.assertIn(COMMENTS_SCOPE, r.stderr)
        # nor will the daemon or the subscriptions command use it
        r = ig.cli("subscriptions", "create")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("instagram.webhook_fields", r.stderr)
        self.assertEqual(self.sub_posts(), 0)
        s = subprocess.run([IGBRIDGE, "serve", "-c", ig.config_path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(s.returncode, 1)
        self.assertIn("instagram.webhook_fields", s.stderr)
        # with the scope it is fine
        ig.sections["instagram"]["scopes"] = ["instagram_business_basic", COMMENTS_SCOPE]
        ig.write_config()
        r = subprocess.run([IGBRIDGE, "check-config", "-c", ig.config_path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class CarouselAndVideo(DaemonTest):
    """Must-show 6."""

    def test_children_and_thumbnail_in_the_record(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg, import_overrides={"poll": False})).start()
        acct = fg.account("alice.cooks")
        link_alice(self, fg, ig)
        carousel = fg.post_media(acct["id"], "Three plates #ed", media_type="CAROUSEL_ALBUM",
                                 children=3)
        video = fg.post_media(acct["id"], "Stir fry clip #ed", media_type="VIDEO")
        bare = fg.post_media(acct["id"], "Licensed music #ed", media_type="VIDEO",
                             no_media_url=True)
        fetch_and_wait(self, ig, fg)
        recs = {r["media_id"]: r for r in media_records(ig)}
        self.assertEqual(set(recs), {carousel, video, bare}, list(recs))

        c = recs[carousel]
        truth = fg.media(acct["id"], carousel)
        files = {f["media_id"]: f for f in truth["files"]}
        self.assertEqual(c["media_type"], "CAROUSEL_ALBUM")
        self.assertEqual([ch["id"] for ch in c["children"]], truth["children"])
        self.assertEqual(len(c["children"]), 3)
        for ch in c["children"]:
            self.assertEqual(ch["media_type"], "IMAGE")
            self.assertEqual(sha256_of(ch["media_url"]), files[ch["id"]]["sha256"], ch)
        self.assertEqual(sha256_of(c["media_url"]), files[truth["children"][0]]["sha256"])
        self.assertNotIn("thumbnail_url", c)

        v = recs[video]
        files = {f["kind"]: f for f in fg.media(acct["id"], video)["files"]}
        self.assertEqual(v["media_type"], "VIDEO")
        self.assertNotIn("children", v)
        self.assertEqual(sha256_of(v["media_url"]), files["video"]["sha256"])
        self.assertEqual(sha256_of(v["thumbnail_url"]), files["thumbnail"]["sha256"])

        b = recs[bare]
        files = {f["kind"]: f for f in fg.media(acct["id"], bare)["files"]}
        self.assertEqual(b["media_type"], "VIDEO")
        self.assertFalse(b.get("media_url"), b)  # absent in the answer
        self.assertEqual(sha256_of(b["thumbnail_url"]), files["thumbnail"]["sha256"])


class PermissionErrors(DaemonTest):
    """Must-show 7."""

    def test_code_10_and_2xx_need_relinking_and_no_young_refresh(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg, import_overrides={"poll_tiers_s": [1, 1, 1, 1]})).start()
        alice = fg.account("alice.cooks")
        bob = fg.account("bob.bakes")
        carol = fg.account("carol.grills")
        link_alice(self, fg, ig)
        ig.link("bob", "bob.bakes")
        ig.link("carol", "carol.grills")
        wait_until(lambda: all(ig.user_json(u)["last_fetch_at"] for u in ("bob", "carol")),
                   what="initial fetches")

        cases = (("alice", alice, 10, "(#10)"), ("bob", bob, 200, "(#200)"))
        for user, acct, code, text in cases:
            fg.faults(error_code=code, account=acct["id"], count=1)
            mid = fg.post_media(acct["id"], f"Not for now #ed ({code})")
            u = wait_until(lambda: (lambda u: u if u["state"] != "active" else None)(
                ig.user_json(user)), timeout=20, what=f"{user} leaving active")
            self.assertEqual(u["state"], "reauth_required", u)
            self.assertFalse(u["linked"])
            self.assertIsNone(u["next_fetch_at"])
            self.assertIn("permission", u["last_error"])
            self.assertIn(text, u["last_error"])
            settle(ig)
            ev = wait_until(lambda: revoked_events(ig, user), what="link.revoked")
            self.assertEqual(len(ev), 1, ig.imports())
            self.assertEqual(ev[0]["reason"], "permission")
            self.assertEqual(ev[0]["instagram_user_id"], acct["id"])
            self.assertNotIn(mid, [r["media_id"] for r in media_records(ig)])
            # no more calls with that link; fetch-now is refused
            self.assertEqual(ig.fetch_now(user).status, 409)
        self.assertEqual(ig.user_json("carol")["state"], "active")
        self.assertEqual(metric(ig, "igbridge_link_revocations_total", '{reason="permission"}'), 2)

        # Re-linking brings alice back, and the post made meanwhile arrives.
        link_alice(self, fg, ig)
        self.assertEqual(ig.user_json("alice")["state"], "active")
        # link_alice waits for a fetch to end, but carol's polls every second
        # end fetches too: wait for alice's post itself.
        wait_until(lambda: "Not for now #ed (10)" in [r["caption"] for r in media_records(ig)],
                   what="alice's post after relinking")

        # Through links, polls every second and a restart, igbridge never
        # asked to refresh a token: all of them are younger than 24 h...
        ig.restart()
        time.sleep(3)
        self.assertEqual(fg.calls("GET /refresh_access_token"), 0, fg.stats())
        # ... which fakegram, like Meta, would refuse.
        token = next(t["token"] for t in fg.account_info(carol["id"])["token_details"]
                     if t["kind"] == "long_lived")
        r = get(fg.base + "/refresh_access_token?" + urllib.parse.urlencode(
            {"grant_type": "ig_refresh_token", "access_token": token}))
        self.assertEqual(r.status, 400, r.body)
        self.assertIn("24 hours", r.json()["error"]["message"])


class RateLimits(DaemonTest):
    """Must-show 5."""

    def test_account_limit_holds_one_account_app_limit_everyone(self):
        port = free_port()
        fg = self.track(Fakegram("graph", webhook_url=f"http://127.0.0.1:{port}/hooks/instagram"))
        ig = self.track(Igbridge(fg, port=port, import_overrides={
            "poll_tiers_s": [1, 1, 1, 1], "webhook_delay_s": 1})).start()
        a = fg.account("alice.cooks")
        b = fg.account("bob.bakes")
        c = fg.account("carol.grills")
        link_alice(self, fg, ig)
        ig.link("bob", "bob.bakes")
        ig.link("carol", "carol.grills")
        wait_until(lambda: all(ig.user_json(u)["last_fetch_at"] for u in ("bob", "carol")),
                   what="initial fetches")

        # A Business Use Case limit on alice's account: 400, code 80002, and
        # X-Business-Use-Case-Usage saying access comes back in 2 minutes.
        # Every call with her token would be refused the same way.
        fg.faults(rate_limit="buc", account=a["id"], regain_minutes=2, count=100)
        u = wait_until(lambda: (lambda u: u if "rate_limited" in u["last_error"] else None)(
            ig.user_json("alice")), timeout=10, what="alice's poll hitting the limit")
        t_limit = time.time()
        self.assertIn("80002", u["last_error"])
        self.assertEqual(u["state"], "active")
        held = parse_time(u["next_fetch_at"]) - t_limit
        self.assertGreaterEqual(held, 120 - 5, u)
        self.assertLessEqual(held, 120 + 15, u)
        self.assertEqual(faults_pending(fg), 99)

        posts = {user: fg.post_media(acct["id"], f"{user} after the limit #ed")
                 for user, acct in (("alice", a), ("bob", b), ("carol", c))}
        hint = fg.mention(a["id"])  # a webhook for alice does not end her hold either
        self.assertEqual(hint["status"], 200, hint)
        # bob and carol keep importing (polls every second) ...
        wait_until(lambda: {posts["bob"], posts["carol"]}
                   <= {r["media_id"] for r in media_records(ig)}, timeout=10,
                   what="bob's and carol's posts")
        time.sleep(max(0.0, t_limit + 6 - time.time()))
        # ... while alice's account is left alone: no call with her token
        self.assertEqual(faults_pending(fg), 99, "alice was fetched during her hold")
        self.assertNotIn(posts["alice"], [r["media_id"] for r in media_records(ig)])
        self.assertEqual(metric(ig, "igbridge_provider_rate_limits_total", '{scope="account"}'), 1)
        self.assertEqual(metric(ig, "igbridge_provider_rate_limits_total", '{scope="app"}'), 0)

        # The app's limit: 403, code 4, X-App-Usage at 100 %. Everyone waits.
        fg.faults(rate_limit="app", count=1)
        wait_until(lambda: metric(ig, "igbridge_provider_rate_limits_total", '{scope="app"}') == 1,
                   timeout=10, what="a poll hitting the app limit")
        hit = wait_until(lambda: [x for x in ("bob", "carol")
                                  if "graph error 4 " in ig.user_json(x)["last_error"]],
                         timeout=5, what="the limited user's last_error")
        self.assertEqual(len(hit), 1, hit)
        time.sleep(0.5)  # a poll that started before the limit has reached fakegram
        calls = fg.media_calls()
        later = [fg.post_media(acct["id"], "Waiting #ed") for acct in (b, c)]
        # fetch-now during the app's hold: 429 with the hold's end, no call (DESIGN 9)
        for user in ("bob", "carol"):
            r = ig.fetch_now(user)
            self.assertEqual(r.status, 429, r.body)
            self.assertGreater(parse_time(r.json()["retry_at"]), time.time())
        time.sleep(5)
        self.assertEqual(fg.media_calls(), calls, "a fetch went out during the app's hold")
        self.assertFalse(set(later) & {r["media_id"] for r in media_records(ig)})


class TokenRefresh(DaemonTest):
    """Must-show 8 (and 7's young-token rule after a refresh)."""

    def start(self):
        self.fg = self.track(Fakegram("graph"))
        self.ig = self.track(Igbridge(self.fg, import_overrides={"poll_tiers_s": [1, 1, 1, 1]}))
        self.ig.start()
        self.acct = self.fg.account("alice.cooks")
        link_alice(self, self.fg, self.ig)
        u = self.ig.user_json("alice")
        expires = parse_time(u["token_expires_at"])
        self.assertAlmostEqual(expires - time.time(), 60 * DAY, delta=120)  # long-lived
        return expires

    def long_lived(self):
        return {t["token"] for t in self.fg.account_info(self.acct["id"])["token_details"]
                if t["kind"] == "long_lived"}

    def refreshes(self):
        return self.fg.calls("GET /refresh_access_token")

    def test_refreshed_before_expiry_and_used(self):
        expires = self.start()
        fg, ig = self.fg, self.ig
        old = self.long_lived()
        self.assertEqual(len(old), 1)
        self.assertEqual(self.refreshes(), 0)
        # 41 days on, for both: the token has 19 days left and may be refreshed.
        ig.stop()
        fg.age_tokens(self.acct["id"], 41 * DAY)
        ig.start(env=clock_ahead(41 * DAY))
        wait_until(lambda: self.refreshes() == 1, timeout=20, what="the refresh")
        u = wait_until(lambda: (lambda u: u if parse_time(u["token_expires_at"]) > expires + DAY
                                else None)(ig.user_json("alice")), timeout=10,
                       what="the refreshed token stored")
        self.assertAlmostEqual(parse_time(u["token_expires_at"]) - (time.time() + 41 * DAY),
                               60 * DAY, delta=120)
        self.assertEqual(u["state"], "active")
        self.assertEqual(metric(ig, "igbridge_token_refreshes_total", '{outcome="ok"}'), 1)
        new = self.long_lived() - old
        self.assertEqual(len(new), 1)

        # The new token is young: no refresh is asked for, through polls and a restart.
        time.sleep(3)
        ig.stop()
        ig.start(env=clock_ahead(41 * DAY))
        time.sleep(3)
        self.assertEqual(self.refreshes(), 1, fg.stats())

        # 20 more days at fakegram: the old token has expired, the new one
        # lives; a post still arrives, so the fetches use the new token.
        fg.age_tokens(self.acct["id"], 20 * DAY)
        self.assertEqual(fg.tokens(self.acct["id"]), list(new))
        mid = fg.post_media(self.acct["id"], "Fresh token soup #ed")
        wait_until(lambda: mid in [r["media_id"] for r in media_records(ig)], timeout=15,
                   what="the import with the new token")
        u = ig.user_json("alice")
        self.assertEqual((u["state"], u["last_error"]), ("active", ""))
        self.assertEqual(revoked_events(ig), [])

    def test_refresh_failing_until_expiry_ends_in_reauth(self):
        expires = self.start()
        fg, ig = self.fg, self.ig
        ig.stop()
        # igbridge comes back 15 s before the token expires; every call with
        # the token fails (fakegram answers 500), the refresh included.
        lead = 15
        ahead = expires - time.time() - lead
        fg.age_tokens(self.acct["id"], int(ahead))
        fg.faults(status=500, account=self.acct["id"], count=1000)
        t0 = time.time()
        ig.start(env=clock_ahead(ahead))
        u = wait_until(lambda: (lambda u: u if u["state"] != "active" else None)(
            ig.user_json("alice")), timeout=lead + 30, what="alice leaving active")
        self.assertGreaterEqual(time.time() - t0, lead - 3, "gave up before the token expired")
        self.assertEqual(u["state"], "reauth_required", u)
        self.assertFalse(u["linked"])
        self.assertIsNone(u["next_fetch_at"])
        self.assertIn("refresh failed", u["last_error"])
        self.assertGreaterEqual(self.refreshes(), 2, fg.stats())  # tried, and tried again
        self.assertGreaterEqual(
            metric(ig, "igbridge_token_refreshes_total", '{outcome="failed"}'), 2)
        # (settle cannot tell under a clock ahead: wait for the event itself,
        # which follows account.needs_relink in the user's order)
        ev = wait_until(lambda: revoked_events(ig, "alice"), what="link.revoked")
        time.sleep(0.5)
        ev = revoked_events(ig, "alice")
        self.assertEqual(len(ev), 1, ig.imports())
        relinks = [r["reason"] for r in ig.imports() if r.get("type") == "account.needs_relink"]
        self.assertEqual(relinks, ["expiring", "expired"])
        self.assertEqual(ev[0]["reason"], "refresh_failed")
        self.assertEqual(ev[0]["instagram_user_id"], self.acct["id"])
        self.assertGreaterEqual(parse_time(ev[0]["revoked_at"]), expires)
        # and then nothing more is tried with that link
        calls = fg.stats()
        self.assertEqual(ig.fetch_now("alice").status, 409)
        time.sleep(2)
        self.assertEqual(fg.stats(), calls)


if __name__ == "__main__":
    unittest.main(verbosity=2)
