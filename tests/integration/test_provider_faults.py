"""Issue 3, must-show 4: provider 500s, slow answers, dropped connections
(the timeout class of failure), malformed JSON and rate limits. The daemon
stays up, marks nothing seen, records last_error, backs off (next_fetch_at
a minute or more out), and fakegram's stats show no tight loop."""

import os
import socket
import threading
import time
import unittest

from harness import DaemonTest, Fakegram, Igbridge, get, wait_until
from pipeline import fetch_and_wait, link_alice, media_records, parse_time, pending

MIN_BACKOFF_S = 55  # fetch_backoff_s starts at 60 s; a little slack for the clock
QUICK_RETRIES = 3  # transient errors: the same page again after about 1, 2, 4 s (DESIGN 9)


class FlakyProxy:
    """A TCP proxy in front of fakegram that can drop every connection
    (accept, then close without an answer): the same failure class as a
    timeout, a status-less transport error, without waiting 30 s."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.broken = False
        self.conns = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.running = True
        self.attempts = 0  # connections igbridge opened
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.running:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.attempts += 1
            if self.broken:
                c.close()
                continue
            try:
                u = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns += [c, u]
            threading.Thread(target=self._pipe, args=(c, u), daemon=True).start()
            threading.Thread(target=self._pipe, args=(u, c), daemon=True).start()

    def _pipe(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def break_all(self):
        """Drops open connections and refuses new ones."""
        self.broken = True
        with self.lock:
            conns, self.conns = self.conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass

    def heal(self):
        self.broken = False

    def stop(self):
        self.running = False
        self.break_all()
        self.sock.close()


class ProviderFaults(DaemonTest):
    def setup_daemon(self, dialect="graph", proxy=False):
        self.fg = self.track(Fakegram(dialect))
        extra = None
        if proxy:
            self.proxy = self.track(FlakyProxy(self.fg.port))
            extra = {"instagram": {"graph_url": self.proxy.base,
                                   "api_url": self.proxy.base + "/v1"}}
        self.ig = self.track(Igbridge(self.fg, extra=extra)).start()
        self.acct = self.fg.account("alice.cooks")
        link_alice(self, self.fg, self.ig)
        self.assertEqual(self.ig.user_json("alice")["last_error"], "")

    def fail_one_fetch(self, expect_in_error, inject, attempts=None, retried=False,
                       min_backoff=MIN_BACKOFF_S):
        """A tagged post, then a fetch that fails by `inject()`; checks what a
        failed fetch must leave behind. `attempts` counts the tries that
        reach the provider (default: fakegram's media calls); `retried`: the
        failure is transient, so the fetch tries the page again a few times
        within seconds before it gives up. Returns the tagged post's id."""
        attempts = attempts or self.fg.media_calls
        mid = self.fg.post_media(self.acct["id"], "Ramen night #eatdifferent")
        inject()
        calls = attempts()
        t0 = time.time()
        r = self.ig.fetch_now("alice")
        self.assertEqual(r.status, 202)
        u = wait_until(lambda: (lambda u: u if u["last_error"] else None)(
            self.ig.user_json("alice")), timeout=30, what="last_error")
        self.assertIn(expect_in_error, u["last_error"])
        self.assertEqual(u["state"], "active")
        tries = attempts() - calls
        self.assertGreaterEqual(tries, 1 + (QUICK_RETRIES if retried else 0), self.fg.stats())
        self.assertLessEqual(tries, 1 + (QUICK_RETRIES if retried else 0) + 2, self.fg.stats())
        calls += tries
        # backed off: the next try is a minute or more away
        self.assertGreaterEqual(parse_time(u["next_fetch_at"]) - t0, min_backoff, u)
        # still serving, nothing imported, nothing queued
        self.assertEqual(get(self.ig.public + "/livez").status, 200)
        self.assertEqual(get(self.ig.admin + "/readyz").status, 200)
        self.assertEqual(media_records(self.ig), [])
        self.assertEqual(pending(self.ig), [])
        # and no tight loop: nothing more over several seconds
        time.sleep(5)
        self.assertEqual(attempts() - calls, 0, self.fg.stats())
        self.assertEqual(self.ig.user_json("alice")["last_error"], u["last_error"])
        return mid

    def recovers(self, mid):
        """With the provider healthy again the post was not marked seen: a
        fetch imports it and clears last_error."""
        u = fetch_and_wait(self, self.ig, self.fg)
        self.assertEqual([r["media_id"] for r in media_records(self.ig)], [mid])
        self.assertEqual(u["last_error"], "")
        self.assertEqual(self.ig.user_json("alice")["imported"], 1)

    def test_server_errors(self):
        self.setup_daemon()
        # Graph's 5xx carries code 2 and is_transient: a transient error.
        mid = self.fail_one_fetch("transient", lambda: self.fg.faults(status=500, count=50),
                                  retried=True)
        self.fg.faults(count=0)
        self.recovers(mid)

    def test_server_errors_legacy(self):
        self.setup_daemon("legacy")
        mid = self.fail_one_fetch("server", lambda: self.fg.faults(status=503, count=50),
                                  retried=True)
        self.fg.faults(count=0)
        self.recovers(mid)

    def test_malformed_json(self):
        self.setup_daemon()
        mid = self.fail_one_fetch("malformed", lambda: self.fg.faults(malformed=True, count=50))
        self.fg.faults(count=0)
        self.recovers(mid)

    def test_dropped_connections(self):
        self.setup_daemon(proxy=True)
        media_calls = self.fg.media_calls()
        mid = self.fail_one_fetch("transport", self.proxy.break_all,
                                  attempts=lambda: self.proxy.attempts, retried=True)
        self.assertEqual(self.fg.media_calls(), media_calls)  # none got through
        self.proxy.heal()
        self.recovers(mid)

    def test_slow_answer_within_timeout(self):
        self.setup_daemon()
        mid = self.fg.post_media(self.acct["id"], "Slow soup #ed")
        self.fg.faults(delay_ms=3000, count=1)
        t0 = time.time()
        u = fetch_and_wait(self, self.ig, self.fg)
        self.assertGreaterEqual(time.time() - t0, 2.5)
        self.assertEqual([r["media_id"] for r in media_records(self.ig)], [mid])
        self.assertEqual(u["last_error"], "")

    @unittest.skipUnless(os.environ.get("IGBRIDGE_SLOW_TESTS"), "takes 30 s: IGBRIDGE_SLOW_TESTS=1")
    def test_timeout(self):
        self.setup_daemon()
        mid = self.fg.post_media(self.acct["id"], "Stuck soup #ed")
        self.fg.faults(delay_ms=40000, count=1)
        t0 = time.time()
        self.assertEqual(self.ig.fetch_now("alice").status, 202)
        u = wait_until(lambda: (lambda u: u if u["last_error"] else None)(
            self.ig.user_json("alice")), timeout=45, what="last_error")
        self.assertIn("timeout", u["last_error"])
        self.assertGreaterEqual(parse_time(u["next_fetch_at"]) - t0, MIN_BACKOFF_S)
        self.assertEqual(get(self.ig.public + "/livez").status, 200)
        self.recovers(mid)

    def test_rate_limit(self):
        self.setup_daemon()
        bob_acct = self.fg.account("bob.bakes")
        before = self.fg.media_calls()
        self.ig.link("bob", "bob.bakes")
        wait_until(lambda: self.fg.media_calls() > before, what="bob's initial fetch")
        mid = self.fail_one_fetch("rate_limited", lambda: self.fg.faults(rate_limit=True,
                                                                          count=50))
        # the limit is the app's: every user's fetches hold, not only alice's
        self.fg.faults(count=0)
        self.fg.post_media(bob_acct["id"], "Bagels #ed")
        calls = self.fg.media_calls()
        # A fetch-now during the app's hold is answered with the hold's end
        # and asks the provider nothing (DESIGN 9).
        r = self.ig.fetch_now("bob")
        self.assertEqual(r.status, 429, r.body)
        self.assertEqual(r.json()["error"], "rate_limited")
        self.assertGreater(parse_time(r.json()["retry_at"]) - time.time(), MIN_BACKOFF_S - 10)
        time.sleep(2)
        self.assertEqual(self.fg.media_calls(), calls)
        self.assertGreater(parse_time(self.ig.user_json("alice")["next_fetch_at"]) - time.time(),
                           MIN_BACKOFF_S - 10)
        # the throttle lives in memory: after a restart a fetch goes out
        # and finds the post that was not marked seen
        self.ig.restart()
        self.recovers(mid)

    def test_rate_limit_legacy(self):
        self.setup_daemon("legacy")
        # The legacy 429 says Retry-After: 30, and is honoured as said.
        mid = self.fail_one_fetch("rate_limited", lambda: self.fg.faults(rate_limit=True,
                                                                          count=50),
                                  min_backoff=25)
        self.fg.faults(count=0)
        self.ig.restart()
        self.recovers(mid)


if __name__ == "__main__":
    unittest.main(verbosity=2)
