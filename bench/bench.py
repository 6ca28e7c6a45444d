#!/usr/bin/env python3
"""igbridge benchmarks against the real binaries on loopback.

  python3 bench/bench.py webhooks [--requests 2000 --clients 8]
  python3 bench/bench.py imports  [--posts 2000] [--media] [--changelog FILE] [--perf FILE]
  python3 bench/bench.py memory   [--users 1000]
  python3 bench/bench.py hold     --users 200 --out FILE   (for bench/ingest.sh)

Binaries come from IGBRIDGE_BIN / FAKEGRAM_BIN (default build/igbridge,
build/fakegram). Every run starts its own processes and stops them."""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import http.client
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
from harness import Fakegram, Igbridge, get, post, sign_sha256, wait_until  # noqa: E402

harness.IGBRIDGE = os.environ.get("IGBRIDGE_BIN", os.path.join(HERE, "..", "build", "igbridge"))
harness.FAKEGRAM = os.environ.get("FAKEGRAM_BIN", os.path.join(HERE, "..", "build", "fakegram"))


def rss_kib(pid, field="VmRSS"):
    """A /proc/PID/status memory figure in KiB: VmRSS, or RssAnon (heap,
    stacks) or RssFile (mapped files: LMDB's pages, the binary)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def perf_record(pid, out, freq=4000):
    """`perf record -g` of process `pid` into `out` (None: no recording);
    stop it with SIGINT. Waits a second for perf to attach. PERF_CALL_GRAPH
    (say `dwarf`) picks how call chains are taken: the release build keeps
    no frame pointers, so `fp` (the default) loses most callers."""
    if not out:
        return None
    graph = os.environ.get("PERF_CALL_GRAPH", "fp")
    perf = subprocess.Popen(["perf", "record", "-F", str(freq), "--call-graph", graph, "-p", str(pid),
                             "-o", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    return perf


def cpu_ns(pid):
    """CPU time of the live threads of process `pid` in nanoseconds, from
    the scheduler's own account (/proc/PID/task/*/schedstat): /proc/PID/stat
    counts 10 ms ticks, and a run of 0.1 s is 10 of them, too coarse to
    compare two builds. A delta is
    exact while no thread exits in between (igbridge's threads live as
    long as the process)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def metric(ig, name):
    """The sum of the daemon's series called `name` (0 when absent)."""
    return sum(float(line.split()[-1]) for line in ig.metrics_text().splitlines()
               if line.split("{")[0].split(" ")[0] == name)


def start(fg, server_threads=None, changelog=None, **kw):
    """`changelog`: a file the daemon appends every committed batch's
    mutations to (IGBRIDGE_CHANGELOG_FILE: mutation capture on)."""
    ig = Igbridge(fg, **kw)
    ig.sections["log"]["level"] = "warning"
    if server_threads:
        ig.sections["server"]["threads"] = server_threads
    ig.write_config()
    return ig.start(env={"IGBRIDGE_CHANGELOG_FILE": changelog} if changelog else None)


def bench_webhooks(args):
    """Signed webhook POSTs for a linked account: each 200 means the hint is
    committed to LMDB (fsync), so this measures the acknowledged path."""
    fg = Fakegram("graph")
    ig = start(fg, import_overrides={"poll": False, "webhook_delay_s": 3600})
    try:
        acct = fg.account("bench.acct")
        ig.link("bench", "bench.acct", fast=True)
        body = json.dumps({"object": "instagram", "entry": [
            {"id": acct["id"], "time": 1, "changes": [{"field": "mentions", "value": {}}]}]})
        sig = sign_sha256(fg.client_secret, body.encode())
        per_client = args.requests // args.clients
        lat = []
        lock = threading.Lock()

        def client(_):
            conn = http.client.HTTPConnection("127.0.0.1", ig.port, timeout=30)
            mine = []
            for _ in range(per_client):
                t0 = time.perf_counter()
                conn.request("POST", "/hooks/instagram", body=body,
                             headers={"X-Hub-Signature-256": sig,
                                      "Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                assert r.status == 200, r.status
                mine.append(time.perf_counter() - t0)
            conn.close()
            with lock:
                lat.extend(mine)

        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(client, range(args.clients)))
        wall = time.perf_counter() - t0
        lat.sort()
        print(f"webhooks: {len(lat)} acknowledged in {wall:.2f} s = {len(lat) / wall:.0f}/s "
              f"with {args.clients} clients; latency p50 {statistics.median(lat) * 1000:.1f} ms, "
              f"p99 {lat[int(len(lat) * 0.99) - 1] * 1000:.1f} ms; "
              f"igbridge RSS {rss_kib(ig.proc.pid) // 1024} MiB")
    finally:
        ig.stop()
        fg.stop()


def bench_imports(args):
    """Posts waiting at the provider → records fsynced in the JSONL sink."""
    fg = Fakegram("graph")
    ig = start(fg, import_overrides={"poll": False, "update_count": 100, "initial_count": 1},
               extra={"media": {"store": args.media}}, changelog=args.changelog)
    try:
        acct = fg.account("bench.acct")
        fg.post_media(acct["id"], "first")
        ig.link("bench", "bench.acct", fast=True)
        wait_until(lambda: ig.user_json("bench")["last_fetch_at"], what="initial fetch")
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: fg.post_media(acct["id"], f"dish {i} #eatdifferent"),
                          range(args.posts)))
        # From the fetch to the last line only, not the posting before it.
        perf = perf_record(ig.proc.pid, args.perf)
        commits0 = metric(ig, "igbridge_store_commits_total")
        cpu0 = cpu_ns(ig.proc.pid)
        t0 = time.perf_counter()
        ig.fetch_now("bench")
        wait_until(lambda: len(ig.imports()) >= args.posts, timeout=600, interval=0.05,
                   what="all imports")
        wall = time.perf_counter() - t0
        cpu = (cpu_ns(ig.proc.pid) - cpu0) / 1e9
        commits = metric(ig, "igbridge_store_commits_total") - commits0
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        calls = fg.media_calls()
        # The fetches' own time (pages asked for, planned and committed),
        # the rest being the delivery's lag behind them.
        fetch_s = sum(float(line.split()[-1]) for line in ig.metrics_text().splitlines()
                      if line.startswith("igbridge_fetch_duration_seconds_sum"))
        print(f"imports: {args.posts} posts fetched ({calls - 1} media pages of 100), "
              f"filtered, deduplicated and fsynced to JSONL in {wall:.2f} s = "
              f"{args.posts / wall:.0f}/s (the fetches took {fetch_s:.2f} s); "
              f"igbridge CPU {cpu:.2f} s ({cpu * 1000:.1f} ms), {commits:.0f} commits; "
              f"igbridge RSS {rss_kib(ig.proc.pid) // 1024} MiB ({rss_kib(ig.proc.pid)} KiB: "
              f"anon {rss_kib(ig.proc.pid, 'RssAnon')}, file {rss_kib(ig.proc.pid, 'RssFile')})")
    finally:
        ig.stop()
        fg.stop()


def bench_memory(args):
    """Resident memory with many linked users, each with a live actor."""
    fg = Fakegram("graph")
    ig = start(fg, import_overrides={"initial_count": 1})
    try:
        base = rss_kib(ig.proc.pid)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: (fg.account(f"m{i}"),
                                     ig.link(f"user{i}", f"m{i}", fast=True)), range(args.users)))
        wait_until(lambda: all(u["last_fetch_at"] for u in
                               get(ig.admin + f"/users?limit=1000").json()["users"]),
                   timeout=300, interval=0.5, what="initial fetches")
        full = rss_kib(ig.proc.pid)
        print(f"memory: RSS {base // 1024} MiB idle, {full // 1024} MiB with {args.users} linked "
              f"users = {(full - base) / args.users:.1f} KiB per user")
    finally:
        ig.stop()
        fg.stop()


def bench_hold(args):
    """Starts fakegram and igbridge (graph dialect, polling off, hints due in
    an hour so no fetch runs meanwhile), links --users app users, writes what
    an outside load generator needs to --out as JSON (public port, pid,
    webhook secret, the users' Instagram ids, storage path) and holds
    everything until SIGTERM or SIGINT. bench/ingest.sh drives wrk with it."""
    fg = Fakegram("graph")
    ig = start(fg, server_threads=args.server_threads,
               import_overrides={"poll": False, "webhook_delay_s": 3600, "initial_count": 1})
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        def link(i):
            acct = fg.account(f"ingest{i}")
            ig.link(f"user{i}", f"ingest{i}", fast=True)
            return acct["id"]

        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(link, range(args.users)))
        # The link-time fetches are not part of what the bench measures.
        wait_until(lambda: all(u["last_fetch_at"] for u in
                               get(ig.admin + f"/users?limit={args.users}").json()["users"]),
                   timeout=300, interval=0.5, what="initial fetches")
        setup = {"port": ig.port, "admin": ig.admin, "pid": ig.proc.pid,
                 "secret": fg.client_secret, "ids": ids,
                 "storage": ig.sections["storage"]["path"]}
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(setup, f)
        os.replace(tmp, args.out)
        while not stop.wait(0.5):
            if ig.proc.poll() is not None:
                raise SystemExit(f"igbridge exited with {ig.proc.returncode}")
    finally:
        ig.stop()
        fg.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    w = sub.add_parser("webhooks")
    w.add_argument("--requests", type=int, default=2000)
    w.add_argument("--clients", type=int, default=8)
    i = sub.add_parser("imports")
    i.add_argument("--posts", type=int, default=2000)
    i.add_argument("--media", action="store_true",
                   help="download every post's media into the media store before delivery")
    i.add_argument("--changelog", metavar="FILE",
                   help="mutation capture on: committed batches appended to FILE")
    i.add_argument("--perf", metavar="FILE",
                   help="perf record igbridge from the fetch to the last line into FILE")
    m = sub.add_parser("memory")
    m.add_argument("--users", type=int, default=1000)
    h = sub.add_parser("hold")
    h.add_argument("--users", type=int, default=200)
    h.add_argument("--out", required=True)
    h.add_argument("--server-threads", type=int, help="server.threads (default: the harness's 2)")
    args = p.parse_args()
    {"webhooks": bench_webhooks, "imports": bench_imports, "memory": bench_memory,
     "hold": bench_hold}[args.what](args)


if __name__ == "__main__":
    main()
