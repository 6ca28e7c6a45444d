#!/usr/bin/env python3
"""Side by side: one benchmark of bench.py or scale.py run for several
igbridge builds in turn (A B A B …), N runs each, and the median of each
figure per build, with the change against the first build.

  python3 bench/compare.py imports|due|idle [--runs 5] [--users N] [--posts N] [--json FILE]
                           LABEL=DIR[%changelog] ...

DIR holds the build's igbridge and seed_users (the scale runs seed with the
build's own tool, since the store's schema may differ); fakegram comes from
FAKEGRAM_BIN (default build/fakegram) for every build, so the provider is
the same. %changelog runs that build with mutation capture on
(IGBRIDGE_CHANGELOG_FILE, a file on /dev/shm removed after each run).

  imports: bench.py imports --posts 2000 (end-to-end import throughput; --posts)
  due:     scale.py due --users 100000 (the due wave)
  idle:    scale.py idle --users 1000000 (idle memory per user, restarts,
           /status and /metrics)

The load average before each run is printed and kept."""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# figure name -> (regex over the run's output, unit, True when higher is better)
FIGURES = {
    "imports": {
        "posts/s": (r"= (\d+)/s \(the fetches", "/s", True),
        "igbridge CPU": (r"igbridge CPU ([\d.]+) s", "s", False),
        "commits": (r"([\d]+) commits;", "", None),
        "RSS": (r"igbridge RSS (\d+) MiB", "MiB", False),
        "CPU ms": (r"igbridge CPU [\d.]+ s \(([\d.]+) ms\)", "ms", False),
        "RSS KiB": (r"igbridge RSS \d+ MiB \((\d+) KiB", "KiB", False),
        "anon KiB": (r"igbridge RSS \d+ MiB \(\d+ KiB: anon (\d+)", "KiB", False),
        "file KiB": (r"igbridge RSS \d+ MiB \(\d+ KiB: anon \d+, file (\d+)", "KiB", False),
    },
    "due": {
        "users/s": (r"= (\d+) users/s", "/s", True),
        "window p50": (r"0.5 s windows: p50 (\d+)", "/s", True),
        "peak RSS": (r"peak RSS (\d+) MiB", "MiB", False),
        "RSS passivated": (r"all passivated .*?; RSS (\d+) MiB", "MiB", False),
        "anon passivated": (r"all passivated .*?; RSS \d+ MiB \(anon (\d+) MiB\)", "MiB", False),
    },
    "idle": {
        "seeding": (r"seeded \d+ users in (\d+) s", "s", None),
        "RSS": (r"RSS after \d+ s: (\d+) MiB", "MiB", False),
        "B/user": (r"= (\d+) B/user", "B", False),
        "anon": (r"RSS after \d+ s: \d+ MiB \(anon (\d+) MiB", "MiB", False),
        "LMDB pages": (r"LMDB pages (\d+) MiB\)", "MiB", False),
        "RSS KiB": (r"in KiB: RSS (\d+)", "KiB", False),
        "anon KiB": (r"in KiB: RSS \d+, anon (\d+)", "KiB", False),
        "start to /readyz": (r"start to /readyz with \d+ users: ([\d.]+) s", "s", False),
        "/status p50": (r"/status JSON: p50 ([\d.]+) ms", "ms", False),
        "/metrics p50": (r"/metrics: p50 ([\d.]+) ms", "ms", False),
        "fetched meanwhile": (r"(\d+) came due and were fetched", "", None),
    },
}


def command(mode, users, posts):
    if mode == "imports":
        return [sys.executable, os.path.join(HERE, "bench.py"), "imports", "--posts", str(posts)]
    users = users or (100000 if mode == "due" else 1000000)
    return [sys.executable, os.path.join(HERE, "scale.py"), mode, "--users", str(users)]


def parse(mode, out):
    got = {}
    for name, (rx, _, _) in FIGURES[mode].items():
        m = re.search(rx, out)
        if m:
            got[name] = float(m.group(1))
    return got


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("mode", choices=sorted(FIGURES))
    ap.add_argument("builds", nargs="+", metavar="LABEL=DIR[%changelog]")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--users", type=int, help="users for due/idle (default 100000 / 1000000)")
    ap.add_argument("--posts", type=int, default=2000, help="posts for imports")
    ap.add_argument("--json", help="write every run's figures here")
    a = ap.parse_args()

    builds = []
    for spec in a.builds:
        label, _, rest = spec.partition("=")
        capture = rest.endswith("%changelog")
        d = rest[: -len("%changelog")] if capture else rest
        if not os.access(os.path.join(d, "igbridge"), os.X_OK):
            ap.error(f"no igbridge in {d}")
        builds.append((label, d, capture))
    fakegram = os.environ.get("FAKEGRAM_BIN", os.path.join(ROOT, "build", "fakegram"))

    runs = []
    for n in range(1, a.runs + 1):
        for label, d, capture in builds:
            env = dict(os.environ, IGBRIDGE_BIN=os.path.join(d, "igbridge"), FAKEGRAM_BIN=fakegram,
                       SEED_USERS_BIN=os.path.join(d, "seed_users"))
            changelog = f"/dev/shm/igbridge-compare-{os.getpid()}.changelog"
            if capture:
                env["IGBRIDGE_CHANGELOG_FILE"] = changelog
            load = os.getloadavg()[0]
            t0 = time.time()
            p = subprocess.run(command(a.mode, a.users, a.posts), env=env, capture_output=True, text=True)
            size = os.path.getsize(changelog) if capture and os.path.exists(changelog) else None
            if capture and os.path.exists(changelog):
                os.unlink(changelog)
            if p.returncode != 0:
                print(p.stdout + p.stderr, file=sys.stderr)
                raise SystemExit(f"{label}: run {n} failed ({p.returncode})")
            figs = parse(a.mode, p.stdout)
            runs.append({"build": label, "run": n, "load": load, "seconds": time.time() - t0,
                         "figures": figs, "changelog_bytes": size, "output": p.stdout})
            print(f"run {n} {label:12} load {load:4.1f}: "
                  + ", ".join(f"{k} {v:g}" for k, v in figs.items())
                  + (f", changelog {size} bytes" if size is not None else ""), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(runs, f, indent=1)

    print()
    print(f"medians of {a.runs} runs each, builds in turn; load average "
          f"{min(r['load'] for r in runs):.1f}-{max(r['load'] for r in runs):.1f}")
    first = builds[0][0]
    header = "| figure | " + " | ".join(b[0] for b in builds) + " |"
    print(header)
    print("|---" * (len(builds) + 1) + "|")
    worse = []
    for name, (_, unit, higher_better) in FIGURES[a.mode].items():
        meds = {}
        cells = []
        for label, _, _ in builds:
            vals = [r["figures"][name] for r in runs if r["build"] == label and name in r["figures"]]
            if not vals:
                cells.append("–")
                continue
            meds[label] = statistics.median(vals)
            cell = f"{meds[label]:g} {unit}".strip()
            if label != first and first in meds and meds[first]:
                change = meds[label] / meds[first] - 1
                cell += f" ({change:+.1%})"
                if higher_better is not None and (change < -0.10 if higher_better else change > 0.10):
                    worse.append(f"{label} {name} {change:+.1%}")
            cell += " [" + " ".join(f"{v:g}" for v in vals) + "]"
            cells.append(cell)
        print(f"| {name} | " + " | ".join(cells) + " |")
    if worse:
        print("worse than " + first + " by more than 10 %: " + "; ".join(worse))
    return 0


if __name__ == "__main__":
    sys.exit(main())
