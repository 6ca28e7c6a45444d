#!/usr/bin/env python3
"""igbridge at scale (issue 11): many linked users on one node, seeded by
bench/seed_users (records, indexes and fakegram accounts with valid tokens,
no OAuth round trips), against the real binaries on loopback.

  python3 bench/scale.py idle  [--users 1000000]   RSS, restart to /readyz, /status and /metrics
  python3 bench/scale.py due   [--users 100000]    all due at once: dispatch rate, RSS after passivation
  python3 bench/scale.py burst [--users 1000]      one 1000-entry webhook: ack latency, one fetch each

Binaries: IGBRIDGE_BIN, FAKEGRAM_BIN, SEED_USERS_BIN (default build/…).
Every run starts its own processes in a fresh directory and stops them."""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
from harness import Fakegram, Igbridge, get, post, sign_sha256, wait_until  # noqa: E402

BUILD = os.path.join(HERE, "..", "build")
harness.IGBRIDGE = os.environ.get("IGBRIDGE_BIN", os.path.join(BUILD, "igbridge"))
harness.FAKEGRAM = os.environ.get("FAKEGRAM_BIN", os.path.join(BUILD, "fakegram"))
SEED_USERS = os.environ.get("SEED_USERS_BIN", os.path.join(BUILD, "seed_users"))


# -- measuring -------------------------------------------------------------------

def mem_kib(pid):
    """VmRSS, RssAnon (heap and stacks) and RssFile (mapped LMDB pages) in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                out[k] = int(v.split()[0])
    return out


def mib(kib):
    return f"{kib / 1024:.0f} MiB"


def metric(text, name):
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def timed_get(url, n, **kw):
    """Latencies in ms of n sequential GETs (each a new connection, as a scraper)."""
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = get(url, **kw)
        lat.append((time.perf_counter() - t0) * 1000)
        assert r.status == 200, (url, r.status)
    lat.sort()
    return lat


def summary(lat):
    return f"p50 {statistics.median(lat):.1f} ms, max {lat[-1]:.1f} ms (n={len(lat)})"


def start_daemon(ig):
    """Starts ig; returns seconds from exec to the first 200 from /readyz."""
    t0 = time.perf_counter()
    ig.start(wait=False)
    wait_until(ig._ready, timeout=120, interval=0.01, what="igbridge /readyz")
    return time.perf_counter() - t0


def setup(extra=None, import_overrides=None):
    """fakegram and an igbridge config (warnings only), nothing started."""
    fg = Fakegram("graph")
    ig = Igbridge(fg, import_overrides=import_overrides or {"initial_count": 1}, extra=extra)
    ig.sections["log"]["level"] = "warning"
    ig.write_config()
    return fg, ig


def seed(ig, fg, users, due_in, spread=0, fetched=True, with_fakegram=True, posts=0):
    args = [SEED_USERS, "-c", ig.config_path, "--users", str(users), "--due-in", str(due_in),
            "--spread", str(spread)]
    if posts:
        args += ["--posts", str(posts)]
    if fetched:
        args.append("--fetched")
    if with_fakegram:
        args += ["--fakegram", fg.base]
    r = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def cleanup(fg, ig, keep):
    try:
        ig.stop(timeout=120)
    finally:
        fg.stop()
    if not keep:
        shutil.rmtree(ig.dir, ignore_errors=True)


def machine():
    load = os.getloadavg()
    return f"load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}, {os.cpu_count()} cores"


# -- benchmarks ------------------------------------------------------------------

def bench_idle(args):
    """Must show 1: linked idle users (first fetch done, next polls spread
    over a day from --due-in on, so about users/86400 come due each second
    and are fetched, with tokens valid at fakegram). RSS with all of them,
    restart to /readyz, /status JSON and /metrics latency."""
    fg, ig = setup()
    try:
        t0 = time.perf_counter()
        s = seed(ig, fg, args.users, due_in=args.due_in, spread=86400,
                 with_fakegram=not args.made_up)
        print(f"seeded {s['created']} users in {time.perf_counter() - t0:.0f} s "
              f"(LMDB {s['used_bytes'] >> 20} MiB used, map {s['map_bytes'] >> 20} MiB); "
              f"fakegram RSS {mib(mem_kib(fg.proc.pid)['VmRSS'])}")
        ready = []
        stops = []
        for i in range(args.restarts):
            ready.append(start_daemon(ig))
            if i + 1 < args.restarts:
                t0 = time.perf_counter()
                ig.stop(timeout=120)
                stops.append(time.perf_counter() - t0)
        print(f"start to /readyz with {args.users} users: "
              + ", ".join(f"{r:.2f} s" for r in ready)
              + "; SIGTERM to exit: " + ", ".join(f"{r:.2f} s" for r in stops))
        time.sleep(args.settle)
        m = mem_kib(ig.proc.pid)
        status = timed_get(ig.admin + "/status", args.requests)
        metrics = timed_get(ig.admin + "/metrics", args.requests)
        st = get(ig.admin + "/status").json()
        m2 = mem_kib(ig.proc.pid)
        text = ig.metrics_text()
        fetched = metric(text, 'igbridge_fetches_total{outcome="ok"}')
        print(f"users {st['users']}, scheduled {st['scheduled_fetches']}; in the {args.settle} s "
              f"since the last start {fetched:.0f} came due and were fetched; user actors alive "
              f"{metric(text, 'igbridge_user_actors'):.0f}")
        print(f"RSS after {args.settle} s: {mib(m['VmRSS'])} (anon {mib(m['RssAnon'])}, "
              f"LMDB pages {mib(m['RssFile'])}) = {m['VmRSS'] / args.users * 1024:.0f} B/user; "
              f"after the requests {mib(m2['VmRSS'])}")
        print(f"in KiB: RSS {m['VmRSS']}, anon {m['RssAnon']}, LMDB pages {m['RssFile']}")
        print(f"/status JSON: {summary(status)}")
        print(f"/metrics: {summary(metrics)}")
        print(machine())
    finally:
        cleanup(fg, ig, args.keep)


def bench_due(args):
    """Must show 2: users all due at the same second, fakegram as provider.
    Dispatch rate (wakes and fetches per second), then RSS once every user
    actor has passivated again."""
    fg, ig = setup(extra={"actors": {"idle_s": args.idle_s}})
    try:
        s = seed(ig, fg, args.users, due_in=args.due_in, fetched=True)
        due_at = s["first_due"]
        start_daemon(ig)
        idle = mem_kib(ig.proc.pid)
        print(f"{args.users} users due at +{args.due_in} s; RSS before: {mib(idle['VmRSS'])} "
              f"(anon {mib(idle['RssAnon'])})")
        samples = []
        peak = 0
        while True:
            now = time.time()
            text = ig.metrics_text()
            wakes = metric(text, "igbridge_wakes_total")
            done = metric(text, 'igbridge_fetches_total{outcome="ok"}')
            alive = metric(text, "igbridge_user_actors")
            rss = mem_kib(ig.proc.pid)["VmRSS"]
            peak = max(peak, rss)
            samples.append((now, wakes, done, alive, rss))
            if done >= args.users or now > due_at + args.timeout:
                break
            time.sleep(0.5)
        first = next(t for t, w, *_ in samples if w > 0)
        last = samples[-1][0]
        rate = samples[-1][2] / (last - max(first, due_at))
        calls = fg.media_calls()
        print(f"fetches done {samples[-1][2]:.0f} in {last - max(first, due_at):.1f} s from the due "
              f"second = {rate:.0f} users/s (fakegram /me/media calls {calls}); peak RSS "
              f"{mib(peak)}")
        per_s = []
        for a, b in zip(samples, samples[1:]):
            if b[2] > a[2]:
                per_s.append((b[2] - a[2]) / (b[0] - a[0]))
        if per_s:
            per_s.sort()
            print(f"fetch completions per second over 0.5 s windows: p50 {statistics.median(per_s):.0f}, "
                  f"max {per_s[-1]:.0f}")
        t0 = time.time()
        wait_until(lambda: metric(ig.metrics_text(), "igbridge_user_actors") == 0,
                   timeout=args.idle_s * 4 + 120, interval=1, what="every actor passivated")
        time.sleep(2)
        after = mem_kib(ig.proc.pid)
        print(f"all passivated {time.time() - t0:.0f} s after the last fetch; RSS "
              f"{mib(after['VmRSS'])} (anon {mib(after['RssAnon'])}) vs {mib(idle['VmRSS'])} "
              f"(anon {mib(idle['RssAnon'])}) before the wave")
        print(machine())
    finally:
        cleanup(fg, ig, args.keep)


def bench_burst(args):
    """Must show 3: one signed payload with an entry for each of 1000 idle
    users. Acknowledgement latency (client side, and the daemon's own
    histogram and commit time), then each user fetched once after the
    delay. Repeated in rounds: each round waits until every hint of the
    previous one was fetched, so each payload meets idle users again."""
    delay = 5
    fg, ig = setup(import_overrides={"initial_count": 1, "webhook_delay_s": delay})
    try:
        seed(ig, fg, args.users, due_in=3600, spread=3600, fetched=True)
        start_daemon(ig)
        users = []
        after = ""
        while True:
            page = get(ig.admin + f"/users?limit=1000&after={after}").json()
            users += page["users"]
            if not page["next"]:
                break
            after = page["next"]
        body = json.dumps({"object": "instagram", "entry": [
            {"id": u["instagram_user_id"], "time": int(time.time()),
             "changes": [{"field": "mentions", "value": {}}]} for u in users]}).encode()
        sig = sign_sha256(fg.client_secret, body)
        print(f"{len(users)} idle users; payload of {len(users)} entries, {len(body) >> 10} KiB; "
              f"delay {delay} s")
        for rnd in range(args.rounds):
            m0 = ig.metrics_text()
            calls0 = fg.media_calls()
            t_post = time.time()
            t0 = time.perf_counter()
            r = post(ig.public + "/hooks/instagram", body, headers={"X-Hub-Signature-256": sig})
            ack = (time.perf_counter() - t0) * 1000
            assert r.status == 200 and r.json()["hinted"] == len(users), (r.status, r.body)
            m1 = ig.metrics_text()
            server = (metric(m1, "igbridge_webhook_ack_duration_seconds_sum")
                      - metric(m0, "igbridge_webhook_ack_duration_seconds_sum")) * 1000
            commit = (metric(m1, "igbridge_store_commit_duration_seconds_sum")
                      - metric(m0, "igbridge_store_commit_duration_seconds_sum")) * 1000
            wait_until(lambda: fg.media_calls() - calls0 >= len(users), timeout=300, interval=0.2,
                       what="hinted fetches")
            t_done = time.time()
            # Until every hint is discharged (the fetch's last commit) and late extras show.
            wait_until(lambda: all(u["next_fetch_at"] is None
                                   or harness_time(u["next_fetch_at"]) > time.time() + 600
                                   for u in get(ig.admin + "/users?limit=1000").json()["users"]),
                       timeout=60, interval=0.5, what="hints discharged")
            time.sleep(1)
            fetched = get(ig.admin + "/users?limit=1000").json()["users"]
            early = [u for u in fetched
                     if harness_time(u["last_fetch_at"]) < int(t_post) + delay]
            print(f"round {rnd + 1}: acknowledged in {ack:.1f} ms (daemon: {server:.1f} ms from "
                  f"request to answer, commit {commit:.1f} ms); {fg.media_calls() - calls0} "
                  f"fetches, the last {t_done - t_post:.1f} s after the POST, {len(early)} early")
        print(machine())
    finally:
        cleanup(fg, ig, args.keep)


def harness_time(rfc3339):
    import calendar
    return calendar.timegm(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--keep", action="store_true", help="keep the state directory")
    sub = p.add_subparsers(dest="what", required=True)
    i = sub.add_parser("idle")
    i.add_argument("--users", type=int, default=1000000)
    i.add_argument("--restarts", type=int, default=3)
    i.add_argument("--settle", type=int, default=60)
    i.add_argument("--requests", type=int, default=20)
    i.add_argument("--due-in", type=int, default=30,
                   help="the first user is due this long after seeding; the rest over a day")
    i.add_argument("--made-up", action="store_true",
                   help="accounts fakegram does not know (faster seeding; nobody may come due)")
    d = sub.add_parser("due")
    d.add_argument("--users", type=int, default=100000)
    d.add_argument("--due-in", type=int, default=20)
    d.add_argument("--idle-s", type=int, default=30)
    d.add_argument("--timeout", type=int, default=600)
    b = sub.add_parser("burst")
    b.add_argument("--users", type=int, default=1000)
    b.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    {"idle": bench_idle, "due": bench_due, "burst": bench_burst}[args.what](args)


if __name__ == "__main__":
    main()
