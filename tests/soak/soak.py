#!/usr/bin/env python3
"""Crash soak (issue 8, must-show 8): igbridge is killed with SIGKILL at
random instants, CYCLES times, while signed webhooks arrive, tagged posts
appear at the provider and the webhook sink answers 500 now and then. After
the last kill it is started cleanly and, once it has settled, this proves:

- every tagged post is delivered (by media id), and nothing untagged or
  blocked is;
- duplicates are only records in flight at a kill: a record is delivered at
  most once per process lifetime, only a lifetime that ended in a kill can
  have its deliveries repeated later, and at most `concurrency` of them
  (the sink's in-flight limit: a record stays "in flight" from the POST
  until its removal from the outbox commits). They are counted and printed;
- every acknowledged hint (200 from POST /hooks/instagram) led to a fetch
  that ended at or after the hint's due time. The hinted accounts have no
  polling to speak of (their tier is 600 s) and each cycle hints a fresh
  one, so a hint acknowledged just before a kill is the last one its account
  gets: only the durable hint queue can cause that fetch. A control account
  that gets no hints must not be fetched at all, which shows the check can
  fail;
- nothing is dead: no dead letters (admin API) and none counted in /metrics.

  python3 tests/soak/soak.py [--cycles 20] [--seed N] [--keep]

Binaries from IGBRIDGE_BIN / FAKEGRAM_BIN (default build/…). Prints the seed;
`--seed` replays the same choices (timings on a busy machine still vary)."""

import argparse
import base64
import collections
import datetime
import hashlib
import hmac
import json
import math
import os
import random
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402
from harness import Fakegram, Igbridge, free_port, get, post, sign_sha256, wait_until  # noqa: E402

ROOT = os.path.join(HERE, "..", "..")
harness.IGBRIDGE = os.environ.get("IGBRIDGE_BIN", os.path.join(ROOT, "build", "igbridge"))
harness.FAKEGRAM = os.environ.get("FAKEGRAM_BIN", os.path.join(ROOT, "build", "fakegram"))

CONCURRENCY = 8        # sink.concurrency: the most records in flight at a kill
WEBHOOK_DELAY_S = 1    # import.webhook_delay_s
POLLED = 3             # accounts found by polling (tier 0: 2 s)
SEED_POSTS = 8         # tagged posts before linking: >= 7 imports puts a user in tier 0
HINTED_POSTS_MAX = 3   # a hinted account stays below 7 imports, so in a 600 s tier
FAIL_P = 0.2           # the sink's 500 rate outside of outages
SETTLE_S = 180         # how long the final check waits for everything to arrive


def log(msg):
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def verify_standard_webhook(secret, headers, body):
    msg_id = headers.get("webhook-id")
    ts = headers.get("webhook-timestamp")
    sigs = headers.get("webhook-signature")
    if not msg_id or not ts or not sigs:
        return False
    key = base64.b64decode(secret[len("whsec_"):])
    expected = base64.b64encode(
        hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    return any(s.partition(",")[0] == "v1" and hmac.compare_digest(s.partition(",")[2], expected)
               for s in sigs.split(" "))


class FlakySink:
    """The host application's webhook endpoint: checks the signature, answers
    500 with probability FAIL_P (always during an outage) and records every
    request with its arrival time."""

    def __init__(self, secret, rng):
        self.secret = secret
        self.rng = rng
        self.outage_until = 0.0
        self.lock = threading.Lock()
        self.requests = []  # {"at","status","valid","id","media_id","user","type"}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                at = time.time()
                valid = verify_standard_webhook(outer.secret, headers, body)
                rec = {}
                try:
                    doc = json.loads(body)
                    rec = dict(doc.get("data") or {}, type=doc.get("type"))
                except ValueError:
                    valid = False
                with outer.lock:
                    if not valid:
                        status = 401
                    elif at < outer.outage_until or outer.rng.random() < FAIL_P:
                        status = 500
                    else:
                        status = 200
                    delay = outer.rng.uniform(0, 0.05)
                    outer.requests.append({"at": at, "status": status, "valid": valid,
                                           "webhook_id": headers.get("webhook-id"),
                                           "id": rec.get("id"), "media_id": rec.get("media_id"),
                                           "user": rec.get("user"), "type": rec.get("type")})
                time.sleep(delay)  # a host that takes its time: kills land mid-request
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/igbridge"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def outage(self, seconds):
        with self.lock:
            self.outage_until = time.time() + seconds

    def accepted(self):
        """The imports accepted (account events are checked apart)."""
        with self.lock:
            return [r for r in self.requests
                    if r["status"] == 200 and r["type"] == "media.imported"]

    def snapshot(self):
        with self.lock:
            return list(self.requests)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Soak:
    def __init__(self, cycles, seed, workdir):
        self.cycles = cycles
        self.seed = seed
        self.rng = random.Random(seed)
        self.workdir = workdir
        self.stop_load = threading.Event()
        self.lock = threading.Lock()
        self.tagged = {}        # media id -> app user, every post that must arrive
        self.untagged = set()   # media ids that must never arrive
        self.hints = []         # {"sent","acked","status","accounts":[ig ids],"via"}
        self.errors = []        # exceptions of the load threads other than a dead daemon
        self.lifetimes = []     # [start, end, killed]
        self.current_hinted = None
        self.hinted_posts = collections.Counter()
        self.hinted_post_at = {}  # ig id -> when its latest post was made

    # -- setup -----------------------------------------------------------------
    def setup(self):
        port = free_port()
        self.fg = Fakegram("graph", webhook_url=f"http://127.0.0.1:{port}/hooks/instagram")
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        self.sink = FlakySink(secret, random.Random(self.rng.random()))
        secret_path = os.path.join(self.workdir, "webhook_secret")
        with open(secret_path, "w") as f:
            f.write(secret + "\n")
        self.ig = Igbridge(self.fg, port=port, workdir=os.path.join(self.workdir, "igbridge"),
                           sink={"type": "webhook", "url": self.sink.url,
                                 "secret_file": secret_path, "concurrency": CONCURRENCY,
                                 "timeout_s": 5, "retry_schedule_s": [1] * 30},
                           import_overrides={"webhook_delay_s": WEBHOOK_DELAY_S,
                                             "update_count": 10, "initial_count": 20,
                                             "poll": True, "poll_tiers_s": [2, 600, 900, 1200]})
        self.ig.sections["log"]["level"] = "info"
        self.ig.write_config()
        self.lifetimes.append([time.time(), None, False])
        self.ig.start()

        # Polled accounts: enough tagged posts before linking for the first tier.
        self.polled = []
        for i in range(POLLED):
            acct = self.fg.account(f"polled{i}")
            user = f"polled-{i}"
            for j in range(SEED_POSTS):
                mid = self.fg.post_media(acct["id"], f"Seed {j} #eatdifferent")
                self.tagged[mid] = user
            self.polled.append((acct["id"], user))
        # One hinted account per cycle, and a control that is never hinted.
        self.hinted = []
        for i in range(self.cycles):
            acct = self.fg.account(f"hinted{i}")
            self.hinted.append((acct["id"], f"hinted-{i}"))
        self.control = (self.fg.account("control")["id"], "control")
        for ig_id, user in self.polled + self.hinted + [self.control]:
            username = self.fg.account_info(ig_id)["username"]
            final = self.ig.link(user, username, fast=True)
            assert "instagram=connected" in final, final
        everyone = [u for _, u in self.polled + self.hinted + [self.control]]
        wait_until(lambda: all(self.ig.user_json(u)["last_fetch_at"] for u in everyone),
                   timeout=120, interval=0.2, what="initial fetches")
        for _, user in self.polled:
            tier = self.ig.user_json(user)["poll_tier"]
            assert tier == 0, f"{user} is in poll tier {tier}, not 0"
        for _, user in self.hinted + [self.control]:
            tier = self.ig.user_json(user)["poll_tier"]
            assert tier > 0, f"{user} is in poll tier 0"
        self.control_fetched_at = self.ig.user_json("control")["last_fetch_at"]
        self.user_of = {ig_id: user for ig_id, user in self.polled + self.hinted + [self.control]}

    # -- load ------------------------------------------------------------------
    def _guard(self, fn):
        def run():
            try:
                fn()
            except Exception as e:  # a bug in the soak itself: fail at the end
                self.errors.append(repr(e))
        return run

    def poster(self, rng):
        """Posts on the polled accounts: tagged, untagged and blocked."""
        n = 0
        while not self.stop_load.wait(rng.uniform(0.02, 0.15)):
            ig_id, user = rng.choice(self.polled)
            kind = rng.random()
            n += 1
            if kind < 0.7:
                mid = self.fg.post_media(ig_id, f"Lunch {n} #{rng.choice(['eatdifferent', 'ed'])}")
                with self.lock:
                    self.tagged[mid] = user
            elif kind < 0.85:
                with self.lock:
                    self.untagged.add(self.fg.post_media(ig_id, f"Walk {n} #outside"))
            else:
                with self.lock:
                    self.untagged.add(self.fg.post_media(ig_id, f"Snack {n} #ed #nofood"))

    def send_hint(self, ids, via_fakegram=False):
        entry = {"sent": time.time(), "acked": None, "status": None, "accounts": ids,
                 "via": "fakegram" if via_fakegram else "direct"}
        try:
            if via_fakegram:
                status = self.fg.mention(ids[0], media_id="1").get("status")
            else:
                body = json.dumps({"object": "instagram", "entry": [
                    {"id": i, "time": int(entry["sent"]),
                     "changes": [{"field": "mentions", "value": {"media_id": "1"}}]}
                    for i in ids]}).encode()
                status = post(self.ig.public + "/hooks/instagram", body, timeout=10, headers={
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": sign_sha256(self.fg.client_secret, body)}).status
        except OSError:
            status = None  # the daemon is down or was killed during the request
        entry["status"] = status
        if status == 200:
            entry["acked"] = time.time()
        with self.lock:
            self.hints.append(entry)
        return status

    def hinter(self, rng):
        """Signed updates for this cycle's hinted account (sometimes with a
        new tagged post first), for polled and unknown accounts too."""
        while not self.stop_load.wait(rng.uniform(0.05, 0.3)):
            cur = self.current_hinted
            if cur is None:
                continue
            ig_id, user = cur
            r = rng.random()
            with self.lock:
                post_first = r < 0.1 and self.hinted_posts[ig_id] < HINTED_POSTS_MAX
                if post_first:
                    self.hinted_posts[ig_id] += 1
            if post_first:
                self.hinted_post_at[ig_id] = time.time()
                mid = self.fg.post_media(ig_id, f"Dinner #ed {rng.randrange(1000)}")
                with self.lock:
                    self.tagged[mid] = user
                self.send_hint([ig_id])
            elif r < 0.3:
                self.send_hint([ig_id], via_fakegram=True)
            elif r < 0.5:
                extra = [rng.choice(self.polled)[0], str(rng.randrange(10**15, 10**16))]
                self.send_hint([ig_id] + extra)
            else:
                self.send_hint([ig_id])

    # -- cycles ----------------------------------------------------------------
    def run_cycles(self):
        threads = [threading.Thread(target=self._guard(lambda r=random.Random(self.rng.random()):
                                                       self.poster(r)), daemon=True)]
        threads += [threading.Thread(target=self._guard(lambda r=random.Random(self.rng.random()):
                                                        self.hinter(r)), daemon=True)
                    for _ in range(2)]
        for t in threads:
            t.start()
        self.current_hinted = self.hinted[0]
        for i in range(self.cycles):
            if i > 0:
                self.lifetimes.append([time.time(), None, False])
                self.ig.start(wait=False)
            if self.rng.random() < 0.3:
                self.sink.outage(self.rng.uniform(0.5, 2.0))
            if i > 0 and self.rng.random() < 0.2:
                when = "during start-up, %.2f s after the spawn"
                pause = self.rng.uniform(0.0, 0.4)
            else:
                when = "serving, %.2f s after /readyz"
                if i > 0:
                    wait_until(self.ig._ready, timeout=60, what="igbridge /readyz")
                pause = self.rng.uniform(0.5, 4.0)
            time.sleep(pause)
            self.ig.kill9()
            self.lifetimes[-1][1:] = [time.time(), True]
            # Hints go on while it is down (refused), for the next cycle's account.
            self.current_hinted = self.hinted[i + 1] if i + 1 < self.cycles else None
            with self.lock:
                acked = sum(1 for h in self.hints if h["acked"])
            log(f"cycle {i + 1}/{self.cycles}: killed {when % pause}; {len(self.tagged)} tagged "
                f"posts, {acked} hints acknowledged, {len(self.sink.accepted())} deliveries so far")
            time.sleep(self.rng.uniform(0.0, 0.5))  # the world goes on while it is down
        self.stop_load.set()
        for t in threads:
            t.join(30)

    # -- verdict ---------------------------------------------------------------
    def due_of_last_hint(self):
        """Per app user: the latest due time (unix s) of its acknowledged hints."""
        due = {}
        for h in self.hints:
            if not h["acked"]:
                continue
            for ig_id in h["accounts"]:
                user = self.user_of.get(ig_id)
                if user:
                    due[user] = max(due.get(user, 0), math.floor(h["sent"]) + WEBHOOK_DELAY_S)
        return due

    def finish(self):
        self.lifetimes.append([time.time(), None, False])
        self.ig.start()
        # A post on a hinted account is announced by the hint after it; when
        # that hint was refused (the daemon was down), announce it now.
        for ig_id, made in self.hinted_post_at.items():
            if not any(h["acked"] and h["sent"] >= made and ig_id in h["accounts"]
                       for h in self.hints):
                wait_until(lambda: self.send_hint([ig_id]) == 200, timeout=30,
                           what="an acknowledged hint")
        log("clean restart; waiting for every post and hint")
        due = self.due_of_last_hint()
        hinted_users = {u for _, u in self.hinted}

        def fetched_since(u):
            last = self.ig.user_json(u)["last_fetch_at"]
            return last and parse_rfc3339(last) >= due[u]

        def done():
            got = {r["media_id"] for r in self.sink.accepted()}
            missing = set(self.tagged) - got
            late = [u for u in due if u in hinted_users and not fetched_since(u)]
            if missing or late:
                return None
            return not pending(self.ig)

        try:
            wait_until(done, timeout=SETTLE_S, interval=0.5, what="all posts delivered, hints fetched")
        except AssertionError:
            got = {r["media_id"] for r in self.sink.accepted()}
            missing = sorted(set(self.tagged) - got)
            late = {u: (self.ig.user_json(u)["last_fetch_at"], due[u]) for u in due
                    if u in hinted_users and not fetched_since(u)}
            raise AssertionError(f"{len(missing)} tagged posts never delivered: {missing[:20]}; "
                                 f"hinted users not fetched after their last hint "
                                 f"(last_fetch_at, due): {late}; outbox: "
                                 f"{[(e['record_id'], e['attempts']) for e in pending(self.ig)][:10]}")
        return due

    def verdict(self, due):
        problems = list(self.errors)
        reqs = self.sink.snapshot()
        accepted = [r for r in reqs if r["status"] == 200 and r["type"] != "account.linked"]
        # account.linked, once per link: an event id accepted twice is a duplicate.
        linked = collections.Counter(r["webhook_id"] for r in reqs
                                     if r["status"] == 200 and r["type"] == "account.linked")
        twice = [i for i, n in linked.items() if n > 1]
        if twice:
            problems.append(f"account events delivered twice: {twice}")
        if any(not r["valid"] for r in reqs):
            problems.append(f"{sum(not r['valid'] for r in reqs)} badly signed sink requests")
        for r in accepted:
            if r["type"] != "media.imported" or r["id"] != "instagram:" + str(r["media_id"]) \
                    or r["webhook_id"] != r["id"]:
                problems.append(f"malformed delivery {r}")
        got = collections.Counter(r["media_id"] for r in accepted)
        wrong = [m for m in got if m in self.untagged]
        if wrong:
            problems.append(f"untagged or blocked posts delivered: {wrong}")
        unknown = [m for m in got if m not in self.tagged and m not in self.untagged]
        if unknown:
            problems.append(f"deliveries of unknown media: {unknown}")
        for r in accepted:
            if r["media_id"] in self.tagged and r["user"] != self.tagged[r["media_id"]]:
                problems.append(f"{r['media_id']} delivered for {r['user']}, "
                                f"not {self.tagged[r['media_id']]}")

        # Duplicates, by the lifetime of the process that delivered them.
        starts = [lt[0] for lt in self.lifetimes]

        def lifetime(t):
            i = 0
            while i + 1 < len(starts) and starts[i + 1] <= t:
                i += 1
            return i

        by_id = collections.defaultdict(list)
        for r in accepted:
            by_id[r["media_id"]].append(lifetime(r["at"]))
        dups = {m: ls for m, ls in by_id.items() if len(ls) > 1}
        repeated_from = collections.Counter()
        for m, ls in dups.items():
            if len(set(ls)) != len(ls):
                times = [(round(r["at"], 3), r["status"]) for r in reqs if r["media_id"] == m]
                problems.append(f"{m} delivered twice by one process lifetime ({ls}): requests "
                                f"{times}; lifetimes {[[round(x, 3) if x else x for x in lt] for lt in self.lifetimes]}")
            for lt in sorted(set(ls))[:-1]:
                repeated_from[lt] += 1
                if not self.lifetimes[lt][2]:
                    problems.append(f"{m} repeated after lifetime {lt}, which was not killed")
        for lt, n in repeated_from.items():
            if n > CONCURRENCY:
                problems.append(f"{n} records of lifetime {lt} delivered again, more than "
                                f"the {CONCURRENCY} a kill can leave in flight")

        # Hints: every acknowledged one was followed by a fetch at/after its due.
        acked = [h for h in self.hints if h["acked"]]
        # How often the check rests on the hint queue surviving a kill: the
        # cycle's last acknowledged hint was not yet due when the kill came.
        across = 0
        for i, (_, user) in enumerate(self.hinted):
            if user in due and self.lifetimes[i][2] and due[user] >= self.lifetimes[i][1]:
                across += 1
        for user, d in due.items():
            last = parse_rfc3339(self.ig.user_json(user)["last_fetch_at"])
            if last < d:
                problems.append(f"{user}: last fetch {last} before its last hint's due time {d}")
        control_now = self.ig.user_json("control")["last_fetch_at"]
        if control_now != self.control_fetched_at:
            problems.append(f"the control user was fetched ({self.control_fetched_at} → "
                            f"{control_now}) without a hint: the hint check proves nothing")

        # Nothing dead.
        dead = get(self.ig.admin + "/outbox?state=dead&limit=1000", headers=self.ig.auth()).json()
        if dead["items"]:
            problems.append(f"dead letters: {dead['items'][:5]}")
        metrics = self.ig.metrics_text()
        dead_gauge = metric(metrics, "igbridge_dead_letters")
        dead_count = metric(metrics, 'igbridge_deliveries_total{outcome="dead"}')
        if dead_gauge or dead_count:
            problems.append(f"/metrics: igbridge_dead_letters {dead_gauge}, "
                            f"deliveries dead {dead_count}")
        for _, user in self.polled + self.hinted:
            state = self.ig.user_json(user)["state"]
            if state != "active":
                problems.append(f"{user} is {state}")

        kills = sum(1 for lt in self.lifetimes if lt[2])
        in_killed = sum(1 for r in accepted if self.lifetimes[lifetime(r["at"])][2])
        print(f"\nsoak: seed {self.seed}, {self.cycles} cycles, {kills} kills")
        print(f"  tagged posts {len(self.tagged)} (all delivered: "
              f"{set(self.tagged) <= set(got)}), untagged/blocked {len(self.untagged)}")
        print(f"  sink requests {len(reqs)}: accepted {len(accepted)}, answered 500 "
              f"{sum(r['status'] == 500 for r in reqs)}; {in_killed} accepted from processes "
              f"later killed")
        print(f"  duplicates: {sum(len(ls) - 1 for ls in dups.values())} extra deliveries of "
              f"{len(dups)} records (bound: {CONCURRENCY} per kill = {CONCURRENCY * kills})")
        for m, ls in sorted(dups.items()):
            print(f"    {m}: delivered by lifetimes {ls}")
        print(f"  hints: {len(self.hints)} sent, {len(acked)} acknowledged "
              f"({sum(h['via'] == 'fakegram' for h in acked)} via fakegram's mention); "
              f"every hinted user fetched after its last due time; in {across} of "
              f"{self.cycles} cycles that hint was not due before the kill")
        print(f"  dead letters: {len(dead['items'])}")
        return problems

    def stop(self):
        for p in (self.ig, self.fg):
            try:
                p.stop()
            except Exception as e:
                print(f"stopping {p}: {e}")
        self.sink.stop()


def pending(ig):
    return get(ig.admin + "/outbox?state=pending&limit=1000", headers=ig.auth()).json()["items"]


def parse_rfc3339(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def metric(text, name):
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def private_binaries(workdir, timeout=600):
    """Copies the binaries under test into `workdir`: other agents may
    rebuild build/ meanwhile, and the soak restarts the daemon many times
    and must run the same, whole binary each time. A copy counts once its
    source has not changed for 2 s before and during the copy."""
    bindir = os.path.join(workdir, "bin")
    os.makedirs(bindir, exist_ok=True)
    for name in ("IGBRIDGE", "FAKEGRAM"):
        src = getattr(harness, name)
        dst = os.path.join(bindir, os.path.basename(src))

        def copied():
            before = os.stat(src)
            if time.time() - before.st_mtime < 2:
                return False
            shutil.copy2(src, dst)
            after = os.stat(src)
            return (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size)

        wait_until(lambda: _quiet(copied), timeout=timeout, interval=1, what=f"a stable {src}")
        setattr(harness, name, dst)


def _quiet(f):
    try:
        return f()
    except OSError:  # being replaced right now
        return False


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--cycles", type=int, default=20)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    args = p.parse_args()
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    log(f"seed {seed} (replay: {sys.argv[0]} --cycles {args.cycles} --seed {seed})")
    workdir = tempfile.mkdtemp(prefix="igbridge-soak-", dir=harness.ARTIFACTS)
    private_binaries(workdir)
    soak = Soak(args.cycles, seed, workdir)
    problems = []
    t0 = time.time()
    try:
        soak.setup()
        soak.run_cycles()
        due = soak.finish()
        problems = soak.verdict(due)
    except BaseException as e:
        problems = [f"{type(e).__name__}: {e}"]
    finally:
        soak.stop() if hasattr(soak, "ig") else None
    log(f"{time.time() - t0:.1f} s")
    if problems:
        print("\nSOAK FAILED (seed %d):" % seed)
        for pr in problems[:50]:
            print("  - " + pr)
        if hasattr(soak, "ig"):
            print(f"\n--- igbridge log ({soak.ig.dir}), last lines ---\n{soak.ig.log()[-4000:]}")
        shutil.rmtree(os.path.join(workdir, "bin"), ignore_errors=True)  # the logs stay
        sys.exit(1)
    print("soak: OK")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
