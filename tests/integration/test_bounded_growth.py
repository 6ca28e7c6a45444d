"""Bounded growth (issue 11). The seen set keeps per user only the newest
import.seen_keep ids (plus every one younger than import.recheck_s), yet
paging never reaches a pruned id, so nothing is imported twice: with
seen_keep = 3, more posts than that per fetch, pages of 2, a run of pages
cut short by a provider error and continued later from its stored cursor.
And the LMDB map grows by itself: from storage.map_size_mb = 1, a backlog
of large imports that cannot be delivered yet fills several MiB, every
one is delivered once the sink answers, the metrics show the grown map,
and a restart keeps it."""

import base64
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from harness import DaemonTest, Fakegram, Igbridge, Receiver, get, post, wait_until
from pipeline import media_records

KEEP = 3


def metric(text, name):
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def entries(db_dir, name):
    """Entries of one named LMDB database, read beside the running daemon."""
    out = subprocess.run(["mdb_stat", "-s", name, db_dir], capture_output=True, text=True,
                         check=True).stdout
    return int(re.search(r"Entries: (\d+)", out).group(1))


class SeenPruning(DaemonTest):
    def fetch(self, ig, user="alice"):
        """Fetch-now; returns once that fetch finished (last_fetch_at moved)."""
        before = ig.user_json(user)["last_fetch_at"]
        time.sleep(1.05)  # last_fetch_at has one-second resolution
        self.assertEqual(ig.fetch_now(user).status, 202)
        wait_until(lambda: ig.user_json(user)["last_fetch_at"] != before, timeout=60,
                   what="the fetch to finish")

    def imported(self, ig):
        return [r["media_id"] for r in media_records(ig)]

    def delivered(self, ig, want):
        """Waits until the sink holds exactly `want` (delivery follows the
        commit that a finished fetch is judged by)."""
        wait_until(lambda: sorted(self.imported(ig)) == sorted(want), timeout=30,
                   what="the imports delivered")

    @unittest.skipUnless(shutil.which("mdb_stat"), "needs mdb_stat (lmdb-utils)")
    def test_pruned_ids_are_never_reached(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg, import_overrides={
            "poll": False, "initial_count": 2, "update_count": 2, "seen_keep": KEEP,
            "recheck_s": 0})).start()
        db_dir = ig.sections["storage"]["path"]
        acct = fg.account("prune.acct")
        ig.link("alice", "prune.acct", fast=True)
        wait_until(lambda: ig.user_json("alice")["last_fetch_at"], what="link-time fetch")
        tagged = []

        def post_round(name, n, untagged=()):
            for i in range(1, n + 1):
                if i in untagged:
                    fg.post_media(acct["id"], f"{name}{i} no tag here")
                else:
                    tagged.append(fg.post_media(acct["id"], f"{name}{i} #eatdifferent"))

        # More new posts than seen_keep in one fetch: four pages of two.
        post_round("a", 7, untagged=(3,))
        self.fetch(ig)
        self.delivered(ig, tagged)
        self.assertEqual(entries(db_dir, "seen"), KEEP, "seen was not pruned")

        # A run cut short: page 1 and 2 commit, page 3 fails (an unreadable
        # answer: a 500 would be retried within the fetch), so its cursor is
        # stored.
        post_round("b", 6)
        calls = fg.media_calls()
        self.assertEqual(post(fg.base + "/_fake/faults", {"delay_ms": 3000, "count": 2}).status,
                         200)
        self.assertEqual(ig.fetch_now("alice").status, 202)
        # fakegram counts a call when it arrives, before its fault's delay:
        # page 2 has taken the second delay, page 3 will meet the failure.
        wait_until(lambda: fg.media_calls() == calls + 2, timeout=30, interval=0.02,
                   what="page 2 asked for")
        self.assertEqual(post(fg.base + "/_fake/faults", {"malformed": True, "count": 1}).status,
                         200)
        wait_until(lambda: ig.user_json("alice")["last_error"], timeout=30,
                   what="the fetch failing on page 3")
        self.delivered(ig, tagged[:-6] + tagged[-4:])
        # While a run is unfinished nothing is pruned: its cursor must still
        # meet a post it knows.
        self.assertEqual(entries(db_dir, "seen"), KEEP + 4)

        # The next fetch meets known posts, then follows the stored cursor to
        # b1 and b2, and stops at a7 (pruned, it would go on into a1-a6).
        self.fetch(ig)
        wait_until(lambda: set(tagged) <= set(self.imported(ig)), timeout=30,
                   what="b1 and b2 from the stored cursor")
        self.assertEqual(entries(db_dir, "seen"), KEEP, "not pruned once the run finished")

        # More rounds at the boundary: exactly seen_keep new posts, then none.
        post_round("c", KEEP)
        self.fetch(ig)
        self.fetch(ig)
        post_round("d", 5, untagged=(2, 4))
        self.fetch(ig)
        wait_until(lambda: set(self.imported(ig)) >= set(tagged), timeout=30,
                   what="the last round delivered")
        time.sleep(2)  # deliveries of anything imported twice would land by now
        ids = self.imported(ig)
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        self.assertEqual(dupes, [], "imported twice")
        self.assertEqual(sorted(ids), sorted(tagged))
        self.assertEqual(ig.user_json("alice")["last_error"], "")


class MapGrowth(DaemonTest):
    def test_map_grows_past_its_initial_size(self):
        gate = threading.Event()
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        # The sink holds every delivery until the gate opens: the backlog
        # stays in LMDB meanwhile.
        recv = self.track(Receiver(200, check=lambda h, b: gate.wait(120)))
        fg = self.track(Fakegram("graph"))
        secret_path = os.path.join(tempfile.mkdtemp(prefix="igbridge-sink-"), "secret")
        with open(secret_path, "w") as f:
            f.write(secret + "\n")
        ig = self.track(Igbridge(
            fg, import_overrides={"poll": False, "initial_count": 1, "update_count": 100},
            sink={"type": "webhook", "url": recv.url, "secret_file": secret_path,
                  "retry_schedule_s": [1] * 10, "concurrency": 4, "timeout_s": 120},
            extra={"storage": {"map_size_mb": 1}}))
        ig.start()
        self.addCleanup(gate.set)  # never leave the receiver's threads waiting
        m0 = ig.metrics_text()
        self.assertEqual(metric(m0, "igbridge_lmdb_map_size_bytes"), 1 << 20)
        acct = fg.account("grow.acct")
        ig.link("alice", "grow.acct", fast=True)
        wait_until(lambda: ig.user_json("alice")["last_fetch_at"], what="link-time fetch")
        n = 600
        filler = "x" * 1800  # each queued import about 2 KiB, one overflow page
        posted = []
        for i in range(n):
            posted.append(fg.post_media(acct["id"], f"dish {i} #eatdifferent {filler}"))
        self.assertEqual(ig.fetch_now("alice").status, 202)
        # n imports, behind account.linked that the gated host holds
        wait_until(lambda: metric(ig.metrics_text(), "igbridge_outbox_depth") == n + 1, timeout=120,
                   what="the whole backlog queued")
        m1 = ig.metrics_text()
        grown = metric(m1, "igbridge_lmdb_map_size_bytes")
        self.assertGreater(grown, 2 << 20, "the map did not grow")
        self.assertGreaterEqual(metric(m1, "igbridge_store_map_growths_total"), 1)
        self.assertGreater(metric(m1, "igbridge_lmdb_used_bytes"), 1 << 20)
        self.assertEqual(get(ig.admin + "/status").json()["storage"]["map_bytes"], grown)

        gate.set()
        wait_until(lambda: metric(ig.metrics_text(), "igbridge_outbox_depth") == 0,
                   timeout=180, what="the backlog delivered")
        delivered = {r["body"] for r in recv.accepted()}
        ids = {m.group(1).decode() for m in (re.search(rb'"media_id":"(\d+)"', b)
                                             for b in delivered) if m}
        self.assertEqual(ids, set(posted))
        self.assertEqual(metric(ig.metrics_text(), "igbridge_dead_letters"), 0)

        # A restart opens the grown map, whatever map_size_mb says.
        ig.restart()
        self.assertGreaterEqual(metric(ig.metrics_text(), "igbridge_lmdb_map_size_bytes"), grown)
        last = fg.post_media(acct["id"], "one more #eatdifferent")
        self.assertEqual(ig.fetch_now("alice").status, 202)
        wait_until(lambda: any(last.encode() in r["body"] for r in recv.accepted()), timeout=60,
                   what="an import after the restart")


if __name__ == "__main__":
    unittest.main(verbosity=2)
