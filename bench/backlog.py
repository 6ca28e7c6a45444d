#!/usr/bin/env python3
"""Sink-outage backlog benchmark (issue 8, must-show 9).

  python3 bench/backlog.py [--records 50000] [--users 25] [--retry-s 2]

The JSONL sink is out: its path is a directory, so every append fails
(EISDIR) and each batch goes back to the outbox on the retry schedule
(`--retry-s` between attempts, never a dead letter). Meanwhile `--users`
linked accounts each get records/users tagged posts and are fetched, until
`--records` imports wait in the outbox. Then the outage ends (the directory
goes) and this measures how fast the backlog drains into the file: from the
end of the outage to the last line, and between the first and the last line
(the retry delay left out). Every record must arrive exactly once.

Binaries from IGBRIDGE_BIN / FAKEGRAM_BIN (default build/…)."""

import argparse
import json
import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
from harness import Fakegram, Igbridge, get, wait_until  # noqa: E402

harness.IGBRIDGE = os.environ.get("IGBRIDGE_BIN", os.path.join(HERE, "..", "build", "igbridge"))
harness.FAKEGRAM = os.environ.get("FAKEGRAM_BIN", os.path.join(HERE, "..", "build", "fakegram"))


def metric(ig, name, labels=""):
    m = re.search(r"^" + re.escape(name + labels) + r" (\S+)$", ig.metrics_text(), re.M)
    return float(m.group(1)) if m else 0.0


class LineCounter:
    """Counts the lines of a growing file without reading it twice."""

    def __init__(self, path):
        self.path = path
        self.f = None
        self.lines = 0

    def count(self):
        if self.f is None:
            try:
                self.f = open(self.path, "rb")
            except (FileNotFoundError, IsADirectoryError):
                return 0
        while True:
            chunk = self.f.read(1 << 20)
            if not chunk:
                return self.lines
            self.lines += chunk.count(b"\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--records", type=int, default=50000)
    p.add_argument("--users", type=int, default=25)
    p.add_argument("--retry-s", type=int, default=2)
    args = p.parse_args()
    per_user = args.records // args.users
    total = per_user * args.users
    assert per_user <= 20000, "a fetch follows at most 200 pages of 100"

    fg = Fakegram("graph")
    ig = Igbridge(fg, import_overrides={"poll": False, "update_count": 100, "initial_count": 1})
    sink_path = ig.jsonl
    os.makedirs(sink_path)  # the outage: a directory where the file should be
    ig.sections["sink"] = {"type": "jsonl", "path": sink_path,
                           "retry_schedule_s": [args.retry_s] * 1000}
    ig.sections["log"]["level"] = "warning"
    ig.write_config()
    ig.start()
    try:
        def link(i):
            acct = fg.account(f"backlog{i}")
            fg.post_media(acct["id"], "before the bench")  # untagged: the initial fetch imports nothing
            ig.link(f"user{i}", f"backlog{i}", fast=True)
            return acct["id"]

        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(link, range(args.users)))
        wait_until(lambda: all(u["last_fetch_at"] for u in
                               get(ig.admin + f"/users?limit={args.users}").json()["users"]),
                   timeout=120, interval=0.5, what="initial fetches")

        t0 = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: fg.post_media(ids[i % args.users], f"dish {i} #eatdifferent"),
                          range(total)))
        posted = time.perf_counter() - t0
        print(f"backlog: {total} tagged posts made on {args.users} accounts in {posted:.1f} s",
              flush=True)

        t0 = time.perf_counter()
        for i in range(args.users):
            assert ig.fetch_now(f"user{i}").status == 202
        wait_until(lambda: metric(ig, "igbridge_outbox_depth") >= total, timeout=1200,
                   interval=1, what=f"{total} records in the outbox")
        queued = time.perf_counter() - t0
        failed = metric(ig, "igbridge_deliveries_total", '{outcome="retry"}')
        print(f"backlog: {total} imports queued in {queued:.1f} s while the sink was out "
              f"({failed:.0f} failed delivery attempts so far)", flush=True)
        assert metric(ig, "igbridge_dead_letters") == 0
        time.sleep(2 * args.retry_s)  # every record has failed at least once more: a real backlog

        counter = LineCounter(sink_path)
        os.rmdir(sink_path)  # the outage ends
        end_of_outage = time.perf_counter()
        samples = []
        deadline = end_of_outage + 600
        while time.perf_counter() < deadline:
            n = counter.count()
            samples.append((time.perf_counter(), n))
            if n >= total:
                break
            time.sleep(0.01)
        assert samples[-1][1] >= total, f"only {samples[-1][1]} of {total} lines after 600 s"

        def first_at(k):
            return next(t for t, n in samples if n >= k)

        t_first, t_last = first_at(1), first_at(total)
        t10, t90 = first_at(total // 10), first_at(total * 9 // 10)
        with open(sink_path) as f:
            recs = [json.loads(line) for line in f]
        unique = {r["id"] for r in recs}
        wait_until(lambda: metric(ig, "igbridge_outbox_depth") == 0, timeout=30,
                   what="outbox empty")
        assert len(recs) == total and len(unique) == total, (len(recs), len(unique))
        assert metric(ig, "igbridge_dead_letters") == 0
        print(f"backlog: {total} records drained to JSONL in {t_last - end_of_outage:.2f} s after "
              f"the outage ended = {total / (t_last - end_of_outage):.0f}/s "
              f"(first line after {t_first - end_of_outage:.2f} s; first to last line "
              f"{total / (t_last - t_first):.0f}/s; 10 %→90 % {total * 0.8 / (t90 - t10):.0f}/s); "
              f"each record once")
    finally:
        ig.stop()
        fg.stop()


if __name__ == "__main__":
    main()
