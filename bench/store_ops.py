#!/usr/bin/env python3
"""Runs build/store_ops (bench/store_ops.cpp) for issue 21's must-show 2:
one user's erase (10 outbox entries among N others') and one user's settle
(among N others' due hints), at N = 100,000 and 1,000,000, and checks that
10x more others cost under 2x the time.

    python3 bench/store_ops.py [--bin build/store_ops] [--before-tree DIR]
                               [--others 100000 1000000] [--rounds 3]
    python3 bench/store_ops.py --capture-cost [--rounds 5]

--capture-cost times instead what mutation capture adds to a commit
(must-show 3): one fetch page's transaction (100 imports) and one group
commit of 16 webhooks' hints, with capture off, on (the list taken and
freed) and file (also encoded and appended to a file on tmpfs, as under
IGBRIDGE_CHANGELOG_FILE), the three taking turns.

--before-tree DIR also builds the same tool at the commit before the record
families (c83d16d; a detached git worktree made at DIR when missing, its
store layer bench/store_ops_c83d16d.cpp.in) and runs the two binaries in
turn. Each run is a fresh store on /dev/shm; a round runs every binary once
per (operation, N), and the figures are the medians over the rounds of each
run's median and p90."""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BEFORE = "c83d16d"

CMAKE_LINES = """
# store_ops (added by bench/store_ops.py of a later commit, for contrast)
add_executable(store_ops store_ops.cpp store_ops_families.cpp)
set_target_properties(store_ops PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}")
target_link_libraries(store_ops PRIVATE ig_actors CLI11::CLI11)
"""


def build_before(tree):
    """store_ops at BEFORE, built in the worktree `tree`; returns its path."""
    if not os.path.isdir(tree):
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", tree, BEFORE], check=True)
    bench = os.path.join(tree, "bench")
    shutil.copy(os.path.join(HERE, "store_ops.cpp"), bench)
    shutil.copy(os.path.join(HERE, "store_ops.hpp"), bench)
    shutil.copy(os.path.join(HERE, "store_ops_c83d16d.cpp.in"),
                os.path.join(bench, "store_ops_families.cpp"))
    cmake = os.path.join(bench, "CMakeLists.txt")
    with open(cmake) as f:
        text = f.read()
    if "add_executable(store_ops" not in text:
        with open(cmake, "a") as f:
            f.write(CMAKE_LINES)
    build = os.path.join(tree, "build")
    env = dict(os.environ, CCACHE_BASEDIR="/work", CCACHE_NOHASHDIR="true")
    subprocess.run(["cmake", "-S", tree, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build, "-j2", "--target", "store_ops"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    return os.path.join(build, "store_ops")


def load():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def run(binary, op, others, iterations, capture="off", warmup=1000):
    out = subprocess.run([binary, "--op", op, "--others", str(others), "--iterations", str(iterations),
                          "--warmup", str(warmup), "--capture", capture],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    r["load"] = load()
    return r


def capture_cost(a):
    modes = ["off", "on", "file"]
    results = []
    for rnd in range(1, a.rounds + 1):
        for op in ("page", "hints"):
            for c in modes:
                r = run(a.bin, op, 0, a.iterations, c, a.warmup)
                r["round"] = rnd
                results.append(r)
                print(f"round {rnd} {op:5} capture {c:4}: median {r['txn_us']['median']:8.1f} µs, "
                      f"p90 {r['txn_us']['p90']:8.1f} µs; load {r['load']:.2f}", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    print()
    print(f"medians over {a.rounds} rounds of each run's median (µs, the transaction with its "
          f"commit and what capture adds after it, on tmpfs)")
    print("| commit | capture off | on | on, encoded and appended to a file |")
    print("|---|---|---|---|")
    for op, what in (("page", "a fetch page (100 imports)"), ("hints", "16 webhooks' hints")):
        med = {c: statistics.median(r["txn_us"]["median"] for r in results
                                    if r["op"] == op and r["capture"] == c) for c in modes}
        cells = [f"{med['off']:,.1f}"]
        for c in modes[1:]:
            d = med[c] - med["off"]
            cells.append(f"{med[c]:,.1f} ({d:+,.1f} µs, {d / med['off']:+.1%})")
        print(f"| {what} | " + " | ".join(cells) + " |")
    loads = [r["load"] for r in results]
    print(f"load average during the runs: {min(loads):.2f}-{max(loads):.2f}")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "store_ops"))
    ap.add_argument("--before-tree", help=f"also build and run the tool at {BEFORE} in this worktree")
    ap.add_argument("--others", type=int, nargs="+", default=[100000, 1000000])
    ap.add_argument("--ops", nargs="+", default=["erase", "settle"])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=1000,
                    help="untimed runs first: the pages each commit writes anew are mapped by then")
    ap.add_argument("--before-iterations", type=int, default=20,
                    help=f"timed runs at {BEFORE} (its scans take up to half a second; 3 untimed first)")
    ap.add_argument("--json", help="write every run's result here")
    ap.add_argument("--capture-cost", action="store_true",
                    help="time what mutation capture adds to a commit instead")
    a = ap.parse_args()
    if a.capture_cost:
        return capture_cost(a)

    bins = [("now", a.bin, a.iterations, a.warmup)]
    if a.before_tree:
        bins.insert(0, (BEFORE, build_before(a.before_tree), a.before_iterations, 3))
    results = []
    for rnd in range(1, a.rounds + 1):
        for op in a.ops:
            for n in a.others:
                for label, binary, iterations, warmup in bins:
                    r = run(binary, op, n, iterations, warmup=warmup)
                    r["who"] = label
                    r["round"] = rnd
                    results.append(r)
                    print(f"round {rnd} {label:8} {op:6} {n:>8} others: median {r['txn_us']['median']:9.1f} µs "
                          f"(op {r['op_us']['median']:9.1f}), p90 {r['txn_us']['p90']:9.1f} µs; "
                          f"seeded in {r['seed_s']:.1f} s; load {r['load']:.2f}", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)

    def med(who, op, n, key, stat):
        return statistics.median(r[key][stat] for r in results
                                 if r["who"] == who and r["op"] == op and r["others"] == n)

    print()
    print(f"medians over {a.rounds} rounds (µs; txn = the operation and its commit on tmpfs, "
          f"op = before the commit)")
    print("| binary | operation | others | txn median | txn p90 | op median | op p90 |")
    print("|---|---|---|---|---|---|---|")
    verdicts = []
    for label, *_ in bins:
        for op in a.ops:
            for n in a.others:
                print(f"| {label} | {op} | {n:,} | {med(label, op, n, 'txn_us', 'median'):,.1f} | "
                      f"{med(label, op, n, 'txn_us', 'p90'):,.1f} | {med(label, op, n, 'op_us', 'median'):,.1f} | "
                      f"{med(label, op, n, 'op_us', 'p90'):,.1f} |")
            lo, hi = min(a.others), max(a.others)
            if lo != hi:
                ratio = med(label, op, hi, "txn_us", "median") / med(label, op, lo, "txn_us", "median")
                ratio_op = med(label, op, hi, "op_us", "median") / med(label, op, lo, "op_us", "median")
                verdicts.append((label, op, ratio, ratio_op))
    loads = [r["load"] for r in results]
    print(f"load average during the runs: {min(loads):.2f}-{max(loads):.2f}")
    failed = False
    for label, op, ratio, ratio_op in verdicts:
        ok = ratio < 2
        failed |= label == "now" and not ok
        print(f"{label} {op}: {max(a.others) // min(a.others)}x the others cost {ratio:.2f}x "
              f"(op alone {ratio_op:.2f}x): {'under 2x' if ok else 'NOT under 2x'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
