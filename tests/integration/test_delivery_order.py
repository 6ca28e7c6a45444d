"""Issue 23, must-show 4: 220 events of 20 users (each one's account.linked
and 10 imports) through a Standard Webhooks sink that answers slowly and
out of order. Every user's events arrive in the order they were committed,
one in flight per user while users go in parallel up to sink.concurrency;
a dead letter holds back only its own user's later events, until
`igbridge outbox drop ID` lets them go, still in order."""

import base64
import json
import random
import secrets
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import DaemonTest, Fakegram, Igbridge, get, wait_until
from pipeline import dead, pending

USERS = [f"user{i:02d}" for i in range(20)]
POSTS = 10
CONCURRENCY = 8


class SlowHost:
    """A host that holds every request until `gate` opens, then answers each
    after a random delay (so answers overtake one another), and refuses
    the events in `refuse` with 400. It records, per app user, the event ids
    it accepted in the order they arrived, and the most requests of one user
    it ever had in flight at once."""

    def __init__(self):
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.refuse = set()
        self.accepted = {}     # user -> [event id], arrival order
        self.attempts = {}     # event id -> requests seen
        self.in_flight = {}    # user -> requests being answered
        self.most_per_user = 0
        self.most_at_once = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                event = self.headers.get("webhook-id")
                user = json.loads(body)["data"]["user"]
                with outer.lock:
                    outer.in_flight[user] = outer.in_flight.get(user, 0) + 1
                    outer.most_per_user = max(outer.most_per_user, outer.in_flight[user])
                    outer.most_at_once = max(outer.most_at_once, sum(outer.in_flight.values()))
                    outer.attempts[event] = outer.attempts.get(event, 0) + 1
                outer.gate.wait(120)
                time.sleep(random.uniform(0, 0.08))
                with outer.lock:
                    status = 400 if event in outer.refuse else 200
                    if status == 200:
                        outer.accepted.setdefault(user, []).append(event)
                    outer.in_flight[user] -= 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def total_in_flight(self):
        with self.lock:
            return sum(self.in_flight.values())

    def got(self, user):
        with self.lock:
            return list(self.accepted.get(user, []))

    def stop(self):
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


class OrderPerUser(DaemonTest):
    def test_each_users_events_in_commit_order_and_a_dead_letter_holds_only_its_user(self):
        host = SlowHost()
        self.addCleanup(host.stop)
        fg = self.track(Fakegram("graph"))
        start = int(time.time()) - 3 * 86400
        for n, user in enumerate(USERS):
            acct = fg.account(f"cook.{user}")
            for i in range(POSTS):
                fg.post_media(acct["id"], f"Dish {i} of {user} #ed",
                              created_time=start + n * 100 + i)
        ig = self.track(Igbridge(fg, import_overrides={"poll": False}))
        ig.write_secret("sink_secret",
                        "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())
        ig.sections["sink"] = {"type": "webhook", "url": host.url,
                               "secret_file": ig.secret_path("sink_secret"),
                               "retry_schedule_s": [1, 1], "concurrency": CONCURRENCY,
                               "timeout_s": 120}
        ig.write_config()
        ig.start()
        for user in USERS:
            ig.link(user, f"cook.{user}", fast=True)

        # Everything committed while the host holds the first requests.
        total = len(USERS) * (POSTS + 1)
        queued = wait_until(lambda: (lambda p: p if len(p) == total else None)(pending(ig)),
                            timeout=60, what=f"{total} events queued")
        commit_order = {}
        for item in queued:  # the outbox lists in commit order
            commit_order.setdefault(item["user"], []).append(item["record_id"])
        self.assertEqual(sorted(commit_order), USERS)
        for user in USERS:
            self.assertEqual(len(commit_order[user]), POSTS + 1, user)
            self.assertTrue(commit_order[user][0].startswith("account.linked"), user)
        # Users in parallel up to the sink's concurrency, one request each.
        wait_until(lambda: host.total_in_flight() == CONCURRENCY, timeout=20,
                   what=f"{CONCURRENCY} deliveries in flight")
        time.sleep(0.5)  # a second request of a user would show now
        self.assertEqual(host.most_per_user, 1)
        self.assertEqual(host.most_at_once, CONCURRENCY)

        # One user's 4th event is refused until it is dead-lettered.
        held_user = USERS[3]
        bad = commit_order[held_user][3]
        host.refuse.add(bad)
        host.gate.set()
        others = [u for u in USERS if u != held_user]
        wait_until(lambda: all(len(host.got(u)) == POSTS + 1 for u in others), timeout=120,
                   what="every other user's events delivered")
        for user in others:
            self.assertEqual(host.got(user), commit_order[user], user)
        letters = wait_until(lambda: dead(ig), timeout=20, what="the dead letter")
        self.assertEqual([(d["user"], d["record_id"]) for d in letters], [(held_user, bad)])
        self.assertEqual(host.attempts[bad], 3)  # the first try and the schedule's two
        self.assertIn(held_user, get(ig.admin + "/status").json()["held_users"])
        time.sleep(1.5)  # held: nothing after the dead letter goes
        self.assertEqual(host.got(held_user), commit_order[held_user][:3])
        wait_until(lambda: len(pending(ig)) == POSTS + 1 - 4, timeout=10,
                   what="only the held user's later events left")

        # Dropped: the user's later events follow, in order, and only they.
        r = ig.cli("outbox", "drop", letters[0]["id"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        want = commit_order[held_user][:3] + commit_order[held_user][4:]
        wait_until(lambda: len(host.got(held_user)) == len(want), timeout=30,
                   what="the held user's later events")
        self.assertEqual(host.got(held_user), want)
        self.assertNotIn(held_user, get(ig.admin + "/status").json()["held_users"])
        self.assertEqual(host.most_per_user, 1)
        for user in others:
            self.assertEqual(host.got(user), commit_order[user], f"{user}: a repeat")


if __name__ == "__main__":
    unittest.main(verbosity=2)
