#!/usr/bin/env python3
"""Cluster figures (issue 22, must-show 7) on one machine: the 2 cores bound
absolute rates, so ingest is given as a ratio of three cluster nodes to one
single node, same client, same run.

    python3 bench/cluster.py [--users 200] [--seconds 10] [--clients 16]
                             [--restore-users 10000]

Needs build/igbridge, build/fakegram, build/seed_users (or IGBRIDGE_BIN,
FAKEGRAM_BIN, SEED_USERS_BIN) and Debian's nats-server. Prints:
  - ingest: signed webhooks acknowledged per second by one single node and
    by three cluster nodes on three nats-server (R3), the client's threads
    spreading them over the nodes; the ratio;
  - webhook ack latency p50/p99 in each mode, from the nodes' own
    igbridge_webhook_ack_duration_seconds (cluster: the index lookup plus
    the publish to R3 and its ack);
  - restore: `cluster import` of RESTORE_USERS seeded users, then the time
    one node takes from start to serving every shard (per 10,000 users);
  - failover: kill -9 of a node under no load, the time until every shard
    is served again, and until the killed node's user is fetched by its
    new owner;
  - publish-to-ack latency p50/p90/p99 of a changelog append and of a hint
    publish, one at a time (build/nats_publish, or NATS_PUBLISH_BIN: built
    with `cmake --build build --target nats_publish`), on three servers at
    R3 and, side by side, on one standalone server at R1 (--publishes N,
    0 to skip).
Every process it starts is stopped at the end."""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
os.environ.setdefault("IGBRIDGE_BIN", os.path.join(ROOT, "build", "igbridge"))
os.environ.setdefault("FAKEGRAM_BIN", os.path.join(ROOT, "build", "fakegram"))
os.environ.setdefault("IGBRIDGE_ARTIFACTS", "/tmp/igbridge-bench-cluster")
os.makedirs(os.environ["IGBRIDGE_ARTIFACTS"], exist_ok=True)

from cluster_nodes import KEY, SHARDS, ClusterNodes, shard_of  # noqa: E402
from harness import IGBRIDGE, Fakegram, Igbridge, free_port, get, wait_until  # noqa: E402
from nats_cluster import NatsCluster  # noqa: E402
from pipeline import fetches_ended  # noqa: E402

SEED_USERS = os.environ.get("SEED_USERS_BIN", os.path.join(ROOT, "build", "seed_users"))
NATS_PUBLISH = os.environ.get("NATS_PUBLISH_BIN", os.path.join(ROOT, "build", "nats_publish"))


def publish_latency(count):
    """nats_publish on three fresh servers at R3, then on one standalone
    server (JetStream, no cluster) at R1."""
    out = {}
    lat = NatsCluster()
    try:
        r = subprocess.run([NATS_PUBLISH, "--urls", ",".join(lat.urls), "--replicas", "3",
                            "--count", str(count)], check=True, capture_output=True, text=True)
        out["r3_three_servers"] = json.loads(r.stdout)
    finally:
        lat.stop()
    port = free_port()
    store = tempfile.mkdtemp(prefix="igbridge-bench-nats-")
    solo = subprocess.Popen(["nats-server", "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", store],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        r = subprocess.run([NATS_PUBLISH, "--urls", f"nats://127.0.0.1:{port}", "--replicas", "1",
                            "--count", str(count)], check=True, capture_output=True, text=True)
        out["r1_one_server"] = json.loads(r.stdout)
    finally:
        solo.terminate()
        solo.wait()
        shutil.rmtree(store, ignore_errors=True)
    return out


class Bench(ClusterNodes):
    def __init__(self):
        self.procs = []

    def track(self, p):
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.procs):
            try:
                p.stop()
            except Exception:
                pass


def histogram_quantiles(nodes, name="igbridge_webhook_ack_duration_seconds"):
    """p50/p99 from the nodes' summed cumulative buckets (upper bounds)."""
    buckets = {}
    for ig in nodes:
        for line in ig.metrics_text().splitlines():
            if line.startswith(name + "_bucket"):
                le = line.split('le="')[1].split('"')[0]
                buckets[le] = buckets.get(le, 0) + float(line.rsplit(" ", 1)[1])
    items = sorted(((float("inf") if k == "+Inf" else float(k)), v) for k, v in buckets.items())
    total = items[-1][1] if items else 0
    out = []
    for q in (0.5, 0.99):
        out.append(next((le for le, c in items if c >= q * total), None))
    return out


def ingest(b, nodes, accounts, seconds, clients):
    """Closed loop: `clients` threads, each a signed webhook after the other
    to a random node; acknowledged webhooks per second."""
    ok = [0] * clients
    stop = time.monotonic() + seconds

    def run(i):
        rnd = random.Random(i)
        while time.monotonic() < stop:
            _, acct = rnd.choice(accounts)
            try:
                if b.webhook(rnd.choice(nodes), acct["id"]).status == 200:
                    ok[i] += 1
            except OSError:
                pass
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(ok) / seconds


def link_users(fg, nodes, n):
    """Links on the nodes in turn (a node forwards a grant to its owner)."""
    accounts = []
    for i in range(n):
        user = f"b{i}"
        acct = fg.account(f"b{i}.cooks")
        ig = nodes[i % len(nodes)]
        assert "instagram=connected" in ig.link(user, f"b{i}.cooks", fast=True)
        accounts.append((user, acct))
    return accounts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--restore-users", type=int, default=10000)
    ap.add_argument("--publishes", type=int, default=2000)
    args = ap.parse_args()
    if args.publishes:
        print(json.dumps({"publish_to_ack": publish_latency(args.publishes)}), flush=True)
    b = Bench()
    try:
        b.nats = b.track(NatsCluster())
        b.fg = b.track(Fakegram("graph"))
        quiet = {"import": {"webhook_delay_s": 3600, "poll": False}}
        # One single node.
        single = b.track(Igbridge(b.fg, key=True, import_overrides=quiet["import"]))
        single.start()
        accounts = link_users(b.fg, [single], args.users)
        one = ingest(b, [single], accounts, args.seconds, args.clients)
        one_lat = histogram_quantiles([single])
        single.stop()
        # Three cluster nodes.
        nodes = [b.node(f"node-{x}", extra=quiet) for x in "abc"]
        for ig in nodes:
            wait_until(ig._ready, timeout=30)
        wait_until(lambda: b.serving(nodes), timeout=60, interval=0.3)
        accounts = link_users(b.fg, nodes, args.users)
        time.sleep(2)  # the forwarded grants stored by their owners
        three = ingest(b, nodes, accounts, args.seconds, args.clients)
        three_lat = histogram_quantiles(nodes)
        print(json.dumps({"ingest_per_s": {"single": round(one), "cluster_3": round(three),
                                           "ratio": round(three / one, 2)},
                          "ack_p50_p99_s": {"single": one_lat, "cluster_3": three_lat},
                          "clients": args.clients, "seconds": args.seconds}), flush=True)

        # Failover, no load: kill the owner of b0's shard.
        owner = wait_until(lambda: b.owner_of("b0", nodes), timeout=30)
        rest = [ig for ig in nodes if ig is not owner]
        ended = {id(ig): fetches_ended(ig) for ig in rest}
        t0 = time.monotonic()
        owner.kill9()
        wait_until(lambda: b.serving(rest), timeout=60, interval=0.05)
        served = time.monotonic() - t0
        new = wait_until(lambda: b.owner_of("b0", rest), timeout=30)
        ended_new = ended[id(new)]
        new.fetch_now("b0")
        wait_until(lambda: fetches_ended(new) > ended_new, timeout=30, interval=0.05)
        fetched = time.monotonic() - t0
        print(json.dumps({"failover_s": {"every_shard_served": round(served, 2),
                                         "first_fetch_on_new_owner": round(fetched, 2)}}),
              flush=True)
        for ig in rest:
            ig.stop()

        # Restore: import seeded users into a fresh cluster (new streams),
        # one node restores them all.
        b.nats.stop()
        b.nats = b.track(NatsCluster())
        seed = b.track(Igbridge(b.fg, key=True))
        seed.write_secret("storage_key", KEY)
        subprocess.run([SEED_USERS, "-c", seed.config_path, "--users", str(args.restore_users),
                        "--due-in", "86400"], check=True, capture_output=True)
        solo = b.node("node-r", start=False)
        t0 = time.monotonic()
        r = subprocess.run([IGBRIDGE, "cluster", "import", "-c", solo.config_path, "--from",
                            seed.sections["storage"]["path"]], check=True, capture_output=True,
                           text=True)
        imported = time.monotonic() - t0
        t0 = time.monotonic()
        solo.start(wait=False)
        wait_until(lambda: b.serving([solo]), timeout=600, interval=0.2)
        restored = time.monotonic() - t0
        per_10k = restored * 10000 / args.restore_users
        print(json.dumps({"restore": {"users": args.restore_users, "import_s": round(imported, 1),
                                      "one_node_serving_all_s": round(restored, 1),
                                      "per_10000_users_s": round(per_10k, 1),
                                      "import_report": json.loads(r.stdout)}}), flush=True)
    finally:
        b.stop_all()


if __name__ == "__main__":
    main()
