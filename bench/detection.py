#!/usr/bin/env python3
"""What edit and deletion detection costs per fetch (issue 23, must-show 6).

Each seeded user has --posts tagged posts at fakegram. Wave 1 is every
user's first fetch (it imports them); --tier seconds after its fetch each
user comes due again, and that second wave is measured: fakegram's calls by
kind and igbridge's CPU time, per fetch. It runs twice, taking turns:
detection off (import.recheck_s = 0: no import is young, none is compared)
and on (the default 7 days: every post is compared with what was delivered;
a post missing from the listing is asked for). Before wave 2, --deleted
percent of the users lose their newest post, so the "on" run shows the
confirmation calls too.

  python3 bench/detection.py --users 1000
  python3 bench/detection.py --users 100000 --tier 300

Binaries: IGBRIDGE_BIN, FAKEGRAM_BIN, SEED_USERS_BIN (default build/…)."""

import argparse
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import scale  # noqa: E402  (sets the binaries' paths in the harness)
from harness import Fakegram, Igbridge, get, request, wait_until  # noqa: E402


def cpu_s(pid):
    """User + system CPU seconds of a process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def calls_by_kind(fg):
    """fakegram's calls so far: listings, single-post reads, the rest."""
    out = {"listing": 0, "post": 0, "other": 0}
    for k, v in get(fg.base + "/_fake/stats").json()["calls"].items():
        path = re.sub(r"^(\S+) /v\d+\.\d+/", r"\1 /", k)
        if path.startswith("GET /me/media") or re.match(r"GET /\d+/media", path):
            out["listing"] += v
        elif re.match(r"GET /\d+$", path):
            out["post"] += v
        elif not path.split(" ", 1)[1].startswith("/_fake"):
            out["other"] += v
    return out


def fetched_ok(ig):
    return scale.metric(ig.metrics_text(), 'igbridge_fetches_total{outcome="ok"}')


def run(args, detect):
    fg = Fakegram("graph")
    ig = Igbridge(fg, import_overrides={
        "initial_count": args.posts, "update_count": 25, "poll": True,
        "poll_tiers_s": [args.tier] * 4, "recheck_s": 604800 if detect else 0},
        extra={"media": {"store": False}})
    ig.sections["log"]["level"] = "warning"
    ig.write_config()
    try:
        s = scale.seed(ig, fg, args.users, due_in=5, fetched=False, posts=args.posts)
        assert s["created"] == args.users, s
        scale.start_daemon(ig)
        t0 = time.time()
        wait_until(lambda: fetched_ok(ig) >= args.users, timeout=args.timeout, interval=1,
                   what="wave 1")
        wave1 = time.time() - t0
        imported = scale.metric(ig.metrics_text(), 'igbridge_media_total{result="imported"}')
        # some users lose their newest post before wave 2
        gone = 0
        if args.deleted > 0:
            ids = {a["username"]: a["id"] for a in get(fg.base + "/_fake/accounts").json()}
            step = max(1, round(100 / args.deleted))
            for n in range(0, args.users, step):
                acct = ids[f"user{n}"]
                posts = get(f"{fg.base}/_fake/accounts/{acct}/media").json()
                newest = max(posts, key=lambda m: m["created_time"])["id"]
                r = request("DELETE", f"{fg.base}/_fake/accounts/{acct}/media/{newest}")
                gone += r.status == 200
        # Calls over the whole wave (the idle daemon makes none); CPU from
        # wave 2's first finished fetch to its last, per fetch finished in
        # between (the wave's own actors' passivation included, alike in
        # both runs).
        calls0, before = calls_by_kind(fg), fetched_ok(ig)
        wait_until(lambda: fetched_ok(ig) > before, timeout=args.tier + args.timeout,
                   interval=0.05, what="wave 2's start")
        cpu0, f1, t1 = cpu_s(ig.proc.pid), fetched_ok(ig), time.time()
        wait_until(lambda: fetched_ok(ig) >= before + args.users, timeout=args.timeout,
                   interval=0.05, what="wave 2")
        cpu1, f2, t2 = cpu_s(ig.proc.pid), fetched_ok(ig), time.time()
        time.sleep(2)  # the deletions' confirmations end after their fetch
        calls1 = calls_by_kind(fg)
        deleted_events = sum(1 for line in open(ig.jsonl) if '"type":"media.deleted"' in line)
        n = fetched_ok(ig) - before
        return {"wave1_s": wave1, "imported": imported, "gone": gone, "fetches": n,
                "wave2_s": t2 - t1,
                "listing": (calls1["listing"] - calls0["listing"]) / n,
                "post": (calls1["post"] - calls0["post"]) / n,
                "other": (calls1["other"] - calls0["other"]) / n,
                "cpu_ms": (cpu1 - cpu0) * 1000 / max(1, f2 - f1),
                "deleted_events": deleted_events}
    finally:
        scale.cleanup(fg, ig, False)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=1000)
    p.add_argument("--posts", type=int, default=3, help="posts per account (1-10)")
    p.add_argument("--deleted", type=float, default=1.0,
                   help="percent of users whose newest post is deleted before wave 2")
    p.add_argument("--tier", type=int, default=60,
                   help="seconds from a user's first fetch to its second (above wave 1's length)")
    p.add_argument("--rounds", type=int, default=1, help="off/on pairs, taking turns")
    p.add_argument("--timeout", type=int, default=900)
    args = p.parse_args()
    print(f"{args.users} users, {args.posts} posts each, {args.deleted}% lose their newest "
          f"post; {scale.machine()}")
    print("detection  wave2_s  listing/fetch  post reads/fetch  other/fetch  CPU ms/fetch  "
          "media.deleted")
    for _ in range(args.rounds):
        for detect in (False, True):
            r = run(args, detect)
            print(f"{'on' if detect else 'off':9}  {r['wave2_s']:7.1f}  {r['listing']:13.3f}  "
                  f"{r['post']:16.4f}  {r['other']:11.3f}  {r['cpu_ms']:12.3f}  "
                  f"{r['deleted_events']:13}   (wave 1 {r['wave1_s']:.0f} s, "
                  f"{r['imported']:.0f} imported, {r['gone']} posts deleted)")
    print(scale.machine())


if __name__ == "__main__":
    main()
