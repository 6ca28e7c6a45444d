"""Virtual user actors (issue 11): a user actor passivates after
actors.idle_s without work, its state in LMDB. A webhook hint that arrives
while the user has no live actor waits in the user's durable mailbox and
is fetched on time: not before its due second, and soon after it, by an
actor the scheduler activates for it. Repeated waves of hints, fetch-now
calls and passivations lose no hint and import nothing twice."""

import calendar
import json
import re
import threading
import time
import unittest

from harness import DaemonTest, Fakegram, Igbridge, post, sign_sha256, wait_until
from pipeline import media_records

DELAY = 4  # import.webhook_delay_s


def metric(text, name):
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def unix(rfc3339):
    return calendar.timegm(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ"))


class MediaCallWatch:
    """Polls fakegram's media-call counter from a thread: a poll that ended
    at t and saw a new call proves it was made before t."""

    def __init__(self, fg):
        self.fg = fg
        self.base = fg.media_calls()
        self.polls = []  # (began, ended, calls)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def poll(self):
        began = time.time()
        n = self.fg.media_calls()
        self.polls.append((began, time.time(), n))

    def _run(self):
        while not self.stop.is_set():
            self.poll()
            time.sleep(0.05)

    def close(self):
        self.stop.set()
        self.thread.join()
        self.poll()

    def seen_before(self, t):
        """Whether a poll that ended before t already saw a new call."""
        return any(e < t and n > self.base for b, e, n in self.polls)

    def first_seen(self):
        """When the first poll that saw a new call ended; None when none did."""
        ends = [e for b, e, n in self.polls if n > self.base]
        return min(ends) if ends else None


class Passivation(DaemonTest):
    def start(self, **imp):
        fg = self.track(Fakegram("graph"))
        overrides = {"poll": False, "webhook_delay_s": DELAY, "initial_count": 5}
        overrides.update(imp)
        ig = self.track(Igbridge(fg, import_overrides=overrides,
                                 extra={"actors": {"idle_s": 1}})).start()
        return fg, ig

    def hook(self, fg, ig, account_ids):
        body = json.dumps({"object": "instagram", "entry": [
            {"id": a, "time": int(time.time()), "changes": [{"field": "mentions", "value": {}}]}
            for a in account_ids]}).encode()
        r = post(ig.public + "/hooks/instagram", body,
                 headers={"X-Hub-Signature-256": sign_sha256(fg.client_secret, body)})
        self.assertEqual(r.status, 200, r.body)
        return r.json()

    def test_hint_pending_while_passivated_is_fetched_on_time(self):
        fg, ig = self.start()
        acct = fg.account("passive.acct")
        ig.link("alice", "passive.acct", fast=True)
        wait_until(lambda: ig.user_json("alice")["last_fetch_at"], timeout=30,
                   what="link-time fetch")
        # idle_s = 1: the actor goes once its link-time work is done.
        wait_until(lambda: metric(ig.metrics_text(), "igbridge_user_actors") == 0
                   and metric(ig.metrics_text(), "igbridge_user_passivations_total") >= 1,
                   timeout=30, what="the user actor passivated")
        m0 = ig.metrics_text()
        media_id = fg.post_media(acct["id"], "green curry #eatdifferent")
        watch = MediaCallWatch(fg)
        try:
            self.assertEqual(self.hook(fg, ig, [acct["id"]])["hinted"], 1)
            due = unix(ig.user_json("alice")["next_fetch_at"])
            # The webhook path writes the mailbox without waking anyone.
            time.sleep(1.5)
            m1 = ig.metrics_text()
            self.assertEqual(metric(m1, "igbridge_user_actors"), 0, "activated by the webhook")
            self.assertEqual(metric(m1, "igbridge_user_activations_total"),
                             metric(m0, "igbridge_user_activations_total"))
            wait_until(lambda: any(r["media_id"] == media_id for r in media_records(ig)),
                       timeout=DELAY + 60, what="the hinted post imported")
        finally:
            watch.close()
        called_by = watch.first_seen()
        self.assertIsNotNone(called_by, "no media call seen")
        # Not before the hint's due second (the daemon's clock, same host) …
        self.assertFalse(watch.seen_before(due), "fetched before the hint was due")
        # … and on time after it (scheduler ticks are whole seconds; a slow box).
        self.assertLess(called_by, due + 10, f"fetched {called_by - due:.1f} s late")
        self.assertEqual(fg.media_calls() - watch.base, 1, "one fetch for one hint")
        m2 = ig.metrics_text()
        self.assertGreater(metric(m2, "igbridge_user_activations_total"),
                           metric(m0, "igbridge_user_activations_total"),
                           "the scheduler activated the passivated user")
        # The page's commit (the import) comes before the fetch's last one.
        wait_until(lambda: ig.user_json("alice")["next_fetch_at"] is None, timeout=10,
                   what="the hint discharged by the fetch")
        self.assertEqual([r["media_id"] for r in media_records(ig)].count(media_id), 1)
        # And it passivates again once done.
        wait_until(lambda: metric(ig.metrics_text(), "igbridge_user_actors") == 0,
                   timeout=30, what="passivated again")

    def test_waves_of_hints_and_passivations_lose_nothing(self):
        """Ten users, idle_s = 1, webhook_delay_s = 2: three rounds of a new
        post per account, one payload hinting all of them, and fetch-now
        calls racing the passivations. Every post is imported exactly once."""
        fg, ig = self.start(webhook_delay_s=2)
        n = 10
        accts = [fg.account(f"wave{i}") for i in range(n)]
        for i in range(n):
            ig.link(f"user{i}", f"wave{i}", fast=True)
        wait_until(lambda: all(ig.user_json(f"user{i}")["last_fetch_at"] for i in range(n)),
                   timeout=60, what="link-time fetches")
        posted = []
        for rnd in range(3):
            for i, a in enumerate(accts):
                posted.append(fg.post_media(a["id"], f"round {rnd} dish {i} #eatdifferent"))
            # Some actors are still alive from the last round, some passivating.
            time.sleep(0.5 + rnd * 0.6)
            self.assertEqual(self.hook(fg, ig, [a["id"] for a in accts])["hinted"], n)
            for i in range(0, n, 3):
                self.assertEqual(ig.fetch_now(f"user{i}").status, 202)
            want = set(posted)
            wait_until(lambda: want <= {r["media_id"] for r in media_records(ig)}, timeout=90,
                       what=f"round {rnd} imported")
        time.sleep(3)  # any late duplicate would land by now
        ids = [r["media_id"] for r in media_records(ig)]
        self.assertEqual(len(ids), len(set(ids)), "a post imported twice")
        self.assertEqual(set(ids), set(posted))
        m = ig.metrics_text()
        self.assertGreaterEqual(metric(m, "igbridge_user_passivations_total"), n * 2,
                                "actors did not passivate between the rounds")
        for i in range(n):
            wait_until(lambda: ig.user_json(f"user{i}")["next_fetch_at"] is None, timeout=10,
                       what=f"user{i}'s hints discharged")


if __name__ == "__main__":
    unittest.main(verbosity=2)
