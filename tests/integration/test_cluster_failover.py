"""Issue 22, must-show 1 to 4 at the daemon: three igbridge nodes on three
nats-server (JetStream R3, shards = 16, lease_ttl_s = 2) under a steady load
of tagged posts, each announced by a signed webhook to a random live node
(retried on another node until one answers 200, as Meta retries). During
the load: kill -9 of one node, kill -9 of one nats-server (restarted three
seconds later), a fourth node joining, one node leaving gracefully, one
node SIGSTOPped past its lease and then let go. At the end
every post whose webhook was acknowledged has been delivered, and a post
delivered twice is one the killed or stopped node had sent to its sink
before it went (the test prints them): the hand-offs and the nats-server's
restart repeat nothing."""

import collections
import os
import random
import signal
import threading
import time
import unittest

from cluster_nodes import SHARDS, ClusterNodes
from harness import DaemonTest, Fakegram, get, wait_until
from nats_cluster import NatsCluster
from pipeline import media_records

USERS = 12
# The load's random choices (users, tags, nodes); `make soak-cluster` runs
# the scenario with one seed per round.
SEED = int(os.environ.get("CLUSTER_SEED", "22"))


class Load:
    """Posts a tagged (3 in 4) or untagged post for a random user, then a
    signed webhook to a random live node until one answers 200."""

    def __init__(self, test, accounts):
        self.test = test
        self.accounts = accounts
        self.live = []
        self.tagged = []          # media ids whose webhook was acknowledged
        self.refused = 0          # webhook answers other than 200 (retried)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        rnd = random.Random(SEED)
        n = 0
        while not self.stop.is_set():
            user, acct = rnd.choice(self.accounts)
            tagged = rnd.random() < 0.75
            media = self.test.fg.post_media(acct["id"], f"post {n}" + (" #eatdifferent" if tagged else ""))
            n += 1
            deadline = time.time() + 60
            while time.time() < deadline:
                with self.lock:
                    nodes = list(self.live)
                try:
                    r = self.test.webhook(rnd.choice(nodes), acct["id"])
                    if r.status == 200:
                        break
                except OSError:
                    pass
                self.refused += 1
                time.sleep(0.1)
            else:
                raise AssertionError(f"no node took the webhook for {media}")
            if tagged:
                self.tagged.append(media)
            time.sleep(0.02)

    def set_live(self, nodes):
        with self.lock:
            self.live = list(nodes)


def stopped(pid):
    """Whether the process is stopped (SIGSTOP took effect)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "T"


class ClusterFailover(ClusterNodes, DaemonTest):
    def test_load_through_kill_join_leave_and_pause(self):
        self.nats = self.track(NatsCluster())
        self.fg = self.track(Fakegram("graph"))
        a, b, c = (self.node(f"node-{x}") for x in "abc")
        for ig in (a, b, c):
            wait_until(ig._ready, timeout=30, what="cluster node ready")
        self.wait_served((a, b, c), "3 nodes serving")

        # Users linked on their shards' owners (a link across nodes is not
        # built yet), spread over the three.
        accounts = []
        for i in range(USERS):
            user = f"u{i}"
            acct = self.fg.account(f"u{i}.cooks")
            owner = self.owner_of(user, (a, b, c))
            final = owner.link(user, f"u{i}.cooks", fast=True)
            self.assertIn("instagram=connected", final)
            accounts.append((user, acct))
        owners = collections.Counter(self.owner_of(u, (a, b, c)).dir for u, _ in accounts)
        self.assertEqual(len(owners), 3, "users on every node")

        print(f"\nload seed {SEED}", flush=True)
        load = Load(self, accounts)
        load.set_live((a, b, c))
        load.thread.start()
        time.sleep(3)

        # kill -9 of b: its shards are served again within the lease's TTL
        # plus the restore.
        load.set_live((a, c))
        t_kill = time.monotonic()
        b.kill9()
        took = self.wait_served((a, c), "after kill -9 of node-b, every shard served again")
        self.assertLess(took, 15)  # lease_ttl_s (2) + a tick + the restore, with room
        time.sleep(2)

        # kill -9 of one nats-server: the nodes connected to it reconnect to
        # the others, ingest goes on (R3 keeps a quorum of two), and the
        # server, restarted, catches up.
        # Streams whose leader was on it answer nothing until their next
        # leader is elected (a few seconds): webhooks meanwhile get 503 and
        # are sent again.
        t0 = time.monotonic()
        self.nats.kill(1)
        acked = len(load.tagged)
        wait_until(lambda: len(load.tagged) >= acked + 20, timeout=30, interval=0.1,
                   what="ingest going on with one nats-server down")
        print(f"one nats-server down: 20 more posts acknowledged "
              f"{time.monotonic() - t0:.1f} s after its kill", flush=True)
        self.nats.start(1)
        time.sleep(2)

        # A fourth node joins: shards even out over a, c, d.
        d = self.node("node-d")
        wait_until(d._ready, timeout=30, what="node-d ready")
        load.set_live((a, c, d))
        self.wait_served((a, c, d), "node-d joined")
        time.sleep(2)

        # a leaves gracefully (SIGTERM): its shards go to c and d.
        load.set_live((c, d))
        self.assertEqual(a.stop(), 0)
        self.wait_served((c, d), "node-a left")
        time.sleep(1)

        # c is paused past its lease: d takes every shard; let go, c finds
        # its leases gone, drops those shards, and rejoins.
        load.set_live((d,))
        c.proc.send_signal(signal.SIGSTOP)
        wait_until(lambda: stopped(c.proc.pid), timeout=10, interval=0.05, what="node-c stopped")
        # What c had sent before it stopped: the only posts it may share
        # with the node that takes its shards.
        sent_by_c_before_pause = {r["media_id"] for r in media_records(c)}
        try:
            self.wait_served((d,), "node-c paused: node-d serves everything")
        finally:
            c.proc.send_signal(signal.SIGCONT)
        load.set_live((c, d))
        self.wait_served((c, d), "node-c back")
        time.sleep(2)
        load.stop.set()
        load.thread.join(timeout=90)
        print(f"posts acknowledged: {len(load.tagged)} tagged; webhooks refused and retried: "
              f"{load.refused}; {time.monotonic() - t_kill:.0f} s since the kill", flush=True)
        self.assertGreater(len(load.tagged), 50)

        # Every acknowledged tagged post delivered, by whichever node owned
        # its user then.
        nodes = {"node-a": a, "node-b": b, "node-c": c, "node-d": d}

        def delivered():
            return {name: [r["media_id"] for r in media_records(ig)] for name, ig in nodes.items()}

        def complete():
            got = set().union(*delivered().values())
            missing = set(load.tagged) - got
            return not missing or None
        try:
            wait_until(complete, timeout=90, interval=0.5, what="every acknowledged post delivered")
        except AssertionError:
            got = set().union(*delivered().values())
            print("missing:", sorted(set(load.tagged) - got))
            for ig in (c, d):  # where they wait: hints not consumed, or fetches not made
                try:
                    st = get(ig.admin + "/status", timeout=5).json()
                    print(ig.dir, "serving", st["cluster"]["serving"], "hints waiting",
                          {x["shard"]: x["hints"] for x in st["cluster"]["lag"]["shards"]
                           if x["hints"]}, "schedule", st.get("schedule"), "users", st.get("users"))
                except Exception as e:  # noqa: BLE001
                    print(ig.dir, "no /status:", e)
            raise
        by_node = delivered()
        copies = collections.Counter(m for ids in by_node.values() for m in ids)
        repeats = sorted(m for m, n in copies.items() if n > 1)
        where = {m: {name: ids.count(m) for name, ids in by_node.items() if m in ids} for m in repeats}
        print(f"delivered: { {k: len(v) for k, v in by_node.items()} }; repeated: {where}")
        # A repeat is a post the killed node (b) or the paused one (c) had
        # sent when it went (its completion never reached the changelog),
        # sent once more by the shard's next owner.
        for m in repeats:
            self.assertTrue(m in by_node["node-b"] or m in sent_by_c_before_pause, where[m])
            self.assertEqual(copies[m], 2, where[m])
        # Nothing untagged, nothing unknown.
        self.assertEqual(set(copies) - set(load.tagged), set())


if __name__ == "__main__":
    unittest.main()
