#!/usr/bin/env python3
"""Stored-media imports against the real binaries on loopback (issue 20).

  python3 bench/media.py rate   [--posts 2000] [--delay-ms 100] [--concurrency N] [--perf FILE]
  python3 bench/media.py memory [--videos 40] [--video-bytes 20971520] [--concurrency N]
  python3 bench/media.py fsync  [--files 200] [--threads 8] [--dir DIR]

`rate`: --posts tagged image posts wait at fakegram; one fetch lists them
and every import is delivered to the JSONL sink only once its image is
downloaded from fakegram's CDN and stored (media.store, the default). The
CDN answers each file after --delay-ms (fakegram's `cdn` fault). Prints
stored-media imports per second from the fetch to the last line, and the
daemon's CPU time and peak RSS.

`memory`: --videos VIDEO posts of --video-bytes each (fakegram's
`video_bytes`), each with its thumbnail; prints the daemon's peak RSS
(VmHWM) before and after they are all stored, and checks every stored
video's size.

`fsync`: what the disk charges the media store: DIR (default: a new one
under bench/) gets --files fresh 12 KB files, then each is fdatasynced,
--threads at once; prints the time per file.

--concurrency sets media.concurrency (default: the daemon's own);
--state-dir DIR puts the daemon's state (LMDB, media, JSONL) under DIR.
Binaries come from IGBRIDGE_BIN / FAKEGRAM_BIN (default build/igbridge,
build/fakegram). Every run starts its own processes and stops them."""

import argparse
import contextlib
import os
import shutil
import signal
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

# bench.py points the harness at the binaries (IGBRIDGE_BIN / FAKEGRAM_BIN).
from bench import HERE, Fakegram, Igbridge, perf_record, wait_until

TICK = os.sysconf("SC_CLK_TCK")


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    """User + system CPU seconds the process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Lines:
    """Counts the JSONL sink's lines that carry stored media, reading only
    what was appended since the last look (the file grows to megabytes)."""

    def __init__(self, path):
        self.path, self.offset, self.count, self.rest = path, 0, 0, b""

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return 0
        self.offset += len(data)
        data = self.rest + data
        lines = data.split(b"\n")
        self.rest = lines.pop()
        self.count += sum(1 for x in lines if b'"media":[' in x)
        return self.count


def metrics(ig):
    """The daemon's unlabelled series and histogram sums, by name."""
    out = {}
    for line in ig.metrics_text().splitlines():
        if line.startswith("igbridge_") and "{" not in line:
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


class WindowSampler:
    """Reads the media download window and the downloads in flight from
    /metrics every 0.1 s while a run lasts: how the window adapted."""

    def __init__(self, ig):
        self.ig, self.samples, self.stop_flag = ig, [], threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop_flag.wait(0.1):
            m = metrics(self.ig)
            self.samples.append((m.get("igbridge_media_download_window", 0),
                                 m.get("igbridge_media_downloads_in_flight", 0)))

    def stop(self):
        self.stop_flag.set()
        self.thread.join()
        busy = [s for s in self.samples if s[1] > 0] or [(0, 0)]
        return (max(w for w, _ in busy), sum(f for _, f in busy) / len(busy))


@contextlib.contextmanager
def daemon(args):
    """fakegram and a linked igbridge, stopped (and their state removed
    when it went to --state-dir) afterwards: (fakegram, igbridge, account)."""
    fg = Fakegram("graph")
    ig = None
    try:
        ig, acct = start(fg, args)
        yield fg, ig, acct
    finally:
        if ig:
            ig.stop()
        fg.stop()
        if ig and args.state_dir:
            shutil.rmtree(ig.dir, ignore_errors=True)


def start(fg, args):
    media = {"store": True}
    if args.concurrency:
        media["concurrency"] = args.concurrency
    workdir = tempfile.mkdtemp(prefix="igbridge-bench-", dir=args.state_dir) if args.state_dir else None
    ig = Igbridge(fg, workdir=workdir,
                  import_overrides={"poll": False, "update_count": 100, "initial_count": 1},
                  extra={"media": media})
    ig.sections["log"]["level"] = "warning"
    ig.write_config()
    ig.start()
    acct = fg.account("bench.acct")
    fg.post_media(acct["id"], "first")
    ig.link("bench", "bench.acct", fast=True)
    wait_until(lambda: ig.user_json("bench")["last_fetch_at"], what="initial fetch")
    return ig, acct


def bench_rate(args):
    with daemon(args) as (fg, ig, acct):
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: fg.post_media(acct["id"], f"dish {i} #eatdifferent"),
                          range(args.posts)))
        if args.delay_ms:
            fg.faults(target="cdn", delay_ms=args.delay_ms, count=args.posts * 2)
        perf = perf_record(ig.proc.pid, args.perf, freq=2000)
        lines = Lines(ig.jsonl)
        sampler = WindowSampler(ig)
        cpu0, fg_cpu0 = cpu_s(ig.proc.pid), cpu_s(fg.proc.pid)
        t0 = time.perf_counter()
        ig.fetch_now("bench")
        wait_until(lambda: lines.poll() >= args.posts, timeout=900, interval=0.01,
                   what="all imports with their media")
        wall = time.perf_counter() - t0
        cpu, fg_cpu = cpu_s(ig.proc.pid) - cpu0, cpu_s(fg.proc.pid) - fg_cpu0
        window, in_flight = sampler.stop()
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        m = metrics(ig)
        batches = m.get("igbridge_media_store_batches_total", 0)
        print(f"rate: {args.posts} imports with stored media, CDN delay {args.delay_ms} ms, "
              f"media.concurrency {args.concurrency or 'default'}: {wall:.2f} s = "
              f"{args.posts / wall:.0f} posts/s; igbridge CPU {cpu:.2f} s, peak RSS "
              f"{status_kib(ig.proc.pid, 'VmHWM') // 1024} MiB; fakegram CPU {fg_cpu:.2f} s; "
              f"CDN calls {fg.cdn_calls()}; window up to {window:.0f}, "
              f"{in_flight:.0f} downloads in flight on average; media store: {batches:.0f} batches of "
              f"{args.posts / max(batches, 1):.1f} files, "
              f"{m.get('igbridge_media_store_batch_duration_seconds_sum', 0):.2f} s in them; "
              f"writer: {m.get('igbridge_store_commits_total', 0):.0f} commits, "
              f"{m.get('igbridge_store_commit_duration_seconds_sum', 0):.2f} s in them")


def bench_memory(args):
    with daemon(args) as (fg, ig, acct):
        before = status_kib(ig.proc.pid, "VmHWM")
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: fg.post_media(acct["id"], f"long take {i} #eatdifferent",
                                                  media_type="VIDEO",
                                                  video_bytes=args.video_bytes),
                          range(args.videos)))
        lines = Lines(ig.jsonl)
        t0 = time.perf_counter()
        ig.fetch_now("bench")
        wait_until(lambda: lines.poll() >= args.videos, timeout=900, interval=0.05,
                   what="all videos stored")
        wall = time.perf_counter() - t0
        peak = status_kib(ig.proc.pid, "VmHWM")
        sizes = [x["media"][0]["bytes"] for x in ig.imports() if x.get("media")]
        assert len(sizes) == args.videos and all(s == args.video_bytes for s in sizes), sizes
        stored = sum(os.path.getsize(os.path.join(ig.dir, "db", "media", n))
                     for n in os.listdir(os.path.join(ig.dir, "db", "media")))
        print(f"memory: {args.videos} videos of {args.video_bytes / 2**20:.0f} MiB (+ thumbnails) "
              f"stored in {wall:.2f} s ({stored / 2**20:.0f} MiB on disk, "
              f"{stored / 2**20 / wall:.0f} MiB/s); igbridge peak RSS {before // 1024} MiB "
              f"before, {peak // 1024} MiB after")


def bench_fsync(args):
    work = tempfile.mkdtemp(prefix="fsync-probe-", dir=args.dir or HERE)
    try:
        data = os.urandom(12400)
        paths = []
        for i in range(args.files):
            path = os.path.join(work, f"f{i}")
            with open(path, "wb") as f:
                f.write(data)
            paths.append(path)

        def sync(share):
            for path in share:
                fd = os.open(path, os.O_RDONLY)
                os.fdatasync(fd)
                os.close(fd)

        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(sync, [paths[i::args.threads] for i in range(args.threads)]))
        wall = time.perf_counter() - t0
        print(f"fsync: {args.files} fresh 12 KB files fdatasynced {args.threads} at a time in "
              f"{wall:.3f} s = {wall / args.files * 1000:.2f} ms per file")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    r = sub.add_parser("rate")
    r.add_argument("--posts", type=int, default=2000)
    r.add_argument("--delay-ms", type=int, default=100)
    r.add_argument("--concurrency", type=int)
    r.add_argument("--perf", metavar="FILE",
                   help="perf record igbridge from the fetch to the last line into FILE")
    m = sub.add_parser("memory")
    m.add_argument("--videos", type=int, default=40)
    m.add_argument("--video-bytes", type=int, default=20 << 20)
    m.add_argument("--concurrency", type=int)
    for sp in (r, m):
        sp.add_argument("--state-dir", metavar="DIR",
                        help="keep the daemon's state (LMDB, media, JSONL) under DIR, e.g. a "
                             "tmpfs such as /dev/shm to see what the disk's fsyncs cost")
    f = sub.add_parser("fsync")
    f.add_argument("--files", type=int, default=200)
    f.add_argument("--threads", type=int, default=8)
    f.add_argument("--dir", help="where the files go (default: under bench/)")
    args = p.parse_args()
    {"rate": bench_rate, "memory": bench_memory, "fsync": bench_fsync}[args.what](args)


if __name__ == "__main__":
    main()
