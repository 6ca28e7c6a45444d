"""Issue 8, must-show 4: a data deletion with a dead letter and a dashboard
entry for the user. Afterwards nothing of the user's is in any page (admin
user, users list, /status JSON and HTML, dead and pending deliveries,
/metrics) or in any database of the LMDB environment (every named database
dumped with mdb_dump from lmdb-utils, daemon stopped); the status URL says
`completed` as JSON to a program and as a page to a browser; the replayed
request answers the same confirmation code; an `issued_at` older than 24 h
(or from the future) is refused. Another user, linked alike, keeps all of
theirs: the erase is the requester's alone, and the scan can find what it
looks for.
"""

import base64
import json
import os
import secrets
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from harness import (DaemonTest, Fakegram, Igbridge, Receiver, free_port, get, post, request,
                     sign_sha256, wait_until)
from pipeline import dead, pending

ALICE = "alice-erased-7f3a"  # the app user who asks for deletion
BOB = "bob-kept-91c2"        # another app user of the same app


def dump_env(db_dir):
    """Every key and value of every named database: {db: [(key, value)]}."""
    out = subprocess.run(["mdb_dump", "-a", db_dir], capture_output=True, timeout=120)
    if out.returncode != 0:
        raise AssertionError("mdb_dump failed (lmdb-utils: make deps): " + out.stderr.decode())
    dbs = {}
    name = None
    items = []
    for line in out.stdout.decode().splitlines():
        if line.startswith("database="):
            name = line.split("=", 1)[1]
            items = dbs.setdefault(name, [])
        elif line.startswith(" "):
            items.append(bytes.fromhex(line.strip()))
    return {n: list(zip(v[0::2], v[1::2])) for n, v in dbs.items()}


def find(dbs, needles):
    """[(db, needle, key)] for every key or value that contains a needle."""
    hits = []
    for name, items in dbs.items():
        for k, v in items:
            for n in needles:
                if n in k or n in v:
                    hits.append((name, n, k[:60]))
    return hits


class DataDeletion(DaemonTest):
    def setUp(self):
        super().setUp()
        # Every delivery fails: each user's first event (account.linked)
        # ends as a dead letter, and holds the user's import behind it.
        self.recv = self.track(Receiver(default_status=500))
        port = free_port()
        self.fg = self.track(Fakegram(
            "graph", data_deletion_url=f"http://127.0.0.1:{port}/hooks/instagram/data-deletion"))
        self.ig = self.track(Igbridge(
            self.fg, port=port,
            sink={"type": "webhook", "url": self.recv.url,
                  "secret_file": self.write_sink_secret(), "retry_schedule_s": [1, 1],
                  "timeout_s": 5},
            # hints stay pending (in the store) for the length of the test
            import_overrides={"poll": False, "webhook_delay_s": 3600}))
        self.ig.start()

    def write_sink_secret(self):
        path = os.path.join(tempfile.mkdtemp(prefix="igbridge-dd-"), "sink_secret")
        with open(path, "w") as f:
            f.write("whsec_" + base64.b64encode(secrets.token_bytes(24)).decode() + "\n")
        return path

    def status(self, html=False):
        accept = "text/html" if html else "application/json"
        r = get(self.ig.admin + "/status", headers={"Accept": accept})
        self.assertEqual(r.status, 200)
        return r.body

    def hint(self, ig_user_id):
        body = json.dumps({"object": "instagram", "entry": [
            {"id": ig_user_id, "time": int(time.time()),
             "changes": [{"field": "mentions", "value": {"media_id": "1"}}]}]}).encode()
        r = post(self.ig.public + "/hooks/instagram", body,
                 headers={"Content-Type": "application/json",
                          "X-Hub-Signature-256": sign_sha256(self.fg.client_secret, body)})
        self.assertEqual(r.status, 200, r.body)
        return r.json()

    def test_erases_everything_and_says_so(self):
        ig, fg = self.ig, self.fg
        db_dir = ig.sections["storage"]["path"]
        alice = fg.account("alice.deletes")
        bob = fg.account("bob.stays")
        a_media = fg.post_media(alice["id"], "Ramen #eatdifferent")
        b_media = fg.post_media(bob["id"], "Pho #eatdifferent")
        self.assertIn("instagram=connected", ig.link(ALICE, "alice.deletes"))
        self.assertIn("instagram=connected", ig.link(BOB, "bob.stays"))
        # each account.linked fails three times and becomes a dead letter
        wait_until(lambda: len(dead(ig)) == 2, timeout=40, what="two dead letters")
        self.assertEqual(self.recv.count(), 6)
        # more of alice in the store: rules, a live OAuth state, a pending hint
        r = request("PUT", f"{ig.admin}/users/{ALICE}/rules",
                    body={"tags": ["eatdifferent", "ramen"], "block": ["spoiler"]})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(get(ig.signed_link_url(ALICE)).status, 302)
        self.assertEqual(self.hint(alice["id"])["hinted"], 1)

        alice_marks = [ALICE, alice["id"], alice["app_scoped_id"], "alice.deletes", a_media]
        bob_marks = [BOB, bob["id"], bob["app_scoped_id"], "bob.stays", b_media]
        # Before: alice is on every page and in the store (the checks below
        # can fail).
        for page in (self.status(), self.status(html=True)):
            self.assertIn(ALICE.encode(), page)
            self.assertIn(a_media.encode(), page)
        self.assertIn(ALICE, [d["user"] for d in dead(ig)])
        before = dump_env(db_dir)
        for m in alice_marks:
            self.assertTrue(find(before, [m.encode()]), m)

        # The host is back, so the deletion's own event goes out (and leaves
        # the store) while bob's dead letters stay.
        self.recv.default_status = 200
        # The person removes the app; Meta sends the signed data-deletion request
        # (fakegram signs it with the app-scoped id, as Meta does).
        sent = fg.data_deletion(alice["id"])
        self.assertEqual(sent["status"], 200, sent)
        answer = json.loads(sent["body"]) if isinstance(sent["body"], str) else sent["body"]
        code = answer["confirmation_code"]
        self.assertTrue(code)
        url = answer["url"]
        self.assertTrue(url.startswith(ig.public + "/hooks/instagram/deletion?code="), url)
        # "completed" as soon as the answer is there: it was committed first
        st = get(url)
        self.assertEqual(st.status, 200)
        self.assertTrue(st.header("Content-Type").startswith("application/json"))
        self.assertEqual(st.json()["status"], "completed")
        page = get(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        self.assertEqual(page.status, 200)
        self.assertTrue(page.header("Content-Type").startswith("text/html"))
        self.assertIn(b"<html", page.body.lower())
        self.assertIn(code.encode(), page.body)
        self.assertIn(b"deleted", page.body)

        # Replayed (Meta retries): the same code, no new deletion.
        form = "signed_request=" + urllib.parse.quote(sent["signed_request"])
        hdr = {"Content-Type": "application/x-www-form-urlencoded"}
        again = post(ig.public + "/hooks/instagram/data-deletion", form, headers=hdr)
        self.assertEqual(again.status, 200, again.body)
        self.assertEqual(again.json()["confirmation_code"], code)
        # Too old, or from the future: refused, and no new record either.
        now = int(time.time())
        for issued_at in (now - 24 * 3600 - 60, now - 7 * 24 * 3600, now + 600):
            stale = fg.data_deletion(alice["id"], issued_at=issued_at, revoke=False)
            self.assertEqual(stale["status"], 403, (issued_at, stale))
        self.assertEqual(fg.data_deletion(bob["id"], issued_at=now - 25 * 3600,
                                          revoke=False)["status"], 403)

        # The host hears account.deleted, alone: alice's undelivered events
        # (her dead letter) went with her (DESIGN §9).
        def told():
            return [json.loads(q["body"]) for q in list(self.recv.requests)
                    if q["status"] == 200]
        [event] = wait_until(told, timeout=20, what="account.deleted delivered")
        self.assertEqual(event["type"], "account.deleted")
        self.assertEqual((event["data"]["user"], event["data"]["instagram_user_id"],
                          event["data"]["confirmation_code"]), (ALICE, alice["id"], code))
        wait_until(lambda: not [d for d in pending(ig) if d["user"] == ALICE] or None,
                   what="alice's outbox empty")

        # Nothing of alice on any page.
        self.assertEqual(ig.user(ALICE).status, 404)
        self.assertEqual(get(f"{ig.admin}/users/{ALICE}/rules").status, 404)
        self.assertEqual([u["user"] for u in get(ig.admin + "/users").json()["users"]], [BOB])
        self.assertEqual([d["user"] for d in dead(ig)], [BOB])
        self.assertEqual([d for d in pending(ig) if d["user"] == ALICE], [])
        pages = {"status json": self.status(), "status html": self.status(html=True),
                 "dead letters": get(ig.admin + "/outbox?state=dead").body,
                 "pending": get(ig.admin + "/outbox?state=pending").body,
                 "users": get(ig.admin + "/users").body,
                 "metrics": get(ig.admin + "/metrics").body,
                 "deletion status": get(url).body}
        for name, body in pages.items():
            for m in alice_marks:
                self.assertNotIn(m.encode(), body, f"{m} on {name}")
        # bob keeps his: dashboard entry, dead letter, record
        for page in (pages["status json"], pages["status html"]):
            self.assertIn(BOB.encode(), page)
            self.assertIn(b_media.encode(), page)
        self.assertEqual(ig.user_json(BOB)["state"], "active")

        # Nothing of alice in any database of the environment.
        self.assertEqual(ig.stop(), 0)
        after = dump_env(db_dir)
        self.assertGreaterEqual(len(after), 10, sorted(after))  # every named database
        self.assertEqual(find(after, [m.encode() for m in alice_marks]), [])
        # one deletion, recorded once: the replay and the refused ones added none
        self.assertEqual((len(after["deletions"]), len(after["deletion_requests"])), (1, 1))
        for m in bob_marks:
            self.assertTrue(find(after, [m.encode()]), m)
        print(f"\n[must-show 4] {sum(len(v) for v in before.values())} entries in "
              f"{len(before)} databases before, {sum(len(v) for v in after.values())} after; "
              f"none holds any of {len(alice_marks)} marks of the erased user; "
              f"confirmation code {code} answered twice")


if __name__ == "__main__":
    unittest.main(verbosity=2)
