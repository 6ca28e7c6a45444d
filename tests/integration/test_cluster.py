"""Cluster mode at the daemon (DESIGN §9): two igbridge nodes on three
nats-server with JetStream R3 (shards = 16, lease_ttl_s = 2). /status on any
node lists every node with the leases it holds; a node that leaves gives
its shards to the other; /readyz answers 503 while the node has no NATS, and
signed webhooks are answered 503 (never 200) without a quorum; both 200 again
once the servers are back. A user runs on its shard's owner only, and its
state outlives that node: killed, its shard is restored on the other from
the changelog and its latest snapshot, record for record, nothing imported
before is imported again, and any node takes its webhooks (hints through
JetStream). Load, failover and hand-offs: test_cluster_failover.py."""

import hashlib
import json
import os
import subprocess
import time
import unittest
import urllib.parse

from cluster_nodes import KEY, SHARDS, ClusterNodes, shard_of
from harness import IGBRIDGE, DaemonTest, Fakegram, Igbridge, free_port, get, post, wait_until
from nats_cluster import NatsCluster
from pipeline import (fetch_and_wait, fetches_ended, link_alice, media_records, settle,
                      wait_fetched)

SEED_USERS = os.environ.get("SEED_USERS_BIN", "build/seed_users")


class Cluster(ClusterNodes, DaemonTest):
    def unready(self, ig, why):
        """The /readyz answer when it is 503 and its error names `why`."""
        r = get(ig.admin + "/readyz", timeout=5)
        return r if r.status == 503 and why in r.json()["error"] else None

    def gauges(self, ig):
        """The igbridge_cluster_* series of the node's /metrics."""
        out = {}
        for line in ig.metrics_text().splitlines():
            if line.startswith("igbridge_cluster_"):
                name, value = line.split()
                out[name] = float(value)
        return out

    def shards_by_node(self, ig):
        return {n["id"]: n["shards"] for n in self.status(ig)["nodes"] if n["alive"]}

    def test_nodes_leases_and_readiness(self):
        self.nats = self.track(NatsCluster())
        self.fg = self.track(Fakegram("graph"))
        a, b = self.node("node-a", key=None), self.node("node-b", key=None)
        for ig in (a, b):
            wait_until(ig._ready, timeout=30, what="cluster node ready")

        # Every shard owned, split between the two, and seen alike from both.
        def split():
            seen = [self.shards_by_node(ig) for ig in (a, b)]
            ok = all(set(s) == {"node-a", "node-b"} and sum(s.values()) == SHARDS
                     and min(s.values()) >= 1 for s in seen)
            return seen if ok else None
        seen = wait_until(split, timeout=20, interval=0.3, what="16 shards over both nodes")
        print("\nshards per node:", seen[0])
        st = self.status(a)
        self.assertEqual(st["shards"], SHARDS)
        self.assertEqual(st["node"], "node-a")
        self.assertTrue(st["ready"])
        self.assertEqual(len(st["owned"]), seen[0]["node-a"])
        self.assertEqual(st["lag"]["hints"], 0)
        # Lag per shard: no hint waits for any owner; each changelog's
        # message count is known (what a restore would replay).
        lag = st["lag"]["shards"]
        self.assertEqual([x["shard"] for x in lag], list(range(SHARDS)))
        self.assertEqual({x["hints"] for x in lag}, {0})
        self.assertTrue(all(isinstance(x["changelog"], int) and x["changelog"] >= 0 for x in lag), lag)
        # /metrics per node; summed as Prometheus would, every shard owned once.
        gauges = [self.gauges(ig) for ig in (a, b)]
        self.assertEqual([g["igbridge_cluster_ready"] for g in gauges], [1, 1])
        self.assertEqual(sum(g["igbridge_cluster_shards_owned"] for g in gauges), SHARDS)
        self.assertEqual(gauges[0]["igbridge_cluster_nodes_alive"], 2)
        self.assertEqual(gauges[0]["igbridge_cluster_hints_pending"], 0)
        # Per-shard series come from each shard's owner only: 16 in all.
        per_shard = [k for g in gauges for k in g
                     if k.startswith("igbridge_cluster_shard_changelog_messages{")]
        self.assertEqual(len(per_shard), SHARDS, per_shard)
        page = get(a.admin + "/status", headers={"Accept": "text/html"}, timeout=5).body
        page = page.decode() if isinstance(page, bytes) else page
        self.assertIn(f"Cluster: 0 user(s) on all nodes; node node-a owns {seen[0]['node-a']} "
                      f"of {SHARDS} shards; 2 node(s) alive", page)

        # A graceful leave: b's shards go to a at once (not after the TTL),
        # and a still lists b, as gone.
        t0 = time.monotonic()
        self.assertEqual(b.stop(), 0)
        wait_until(lambda: self.shards_by_node(a) == {"node-a": SHARDS}, timeout=10,
                   interval=0.2, what="node-a owning every shard")
        print(f"hand-over after a graceful leave: {time.monotonic() - t0:.1f} s")
        gone = [n for n in self.status(a)["nodes"] if n["id"] == "node-b"]
        self.assertEqual(gone, [{"id": "node-b", "shards": 0, "alive": False, "figures": {}}])

        # Two of three servers gone: connected, but no quorum stores the
        # heartbeat, so not ready within about the lease TTL.
        self.nats.kill(0)
        self.nats.kill(1)
        t0 = time.monotonic()
        r = wait_until(lambda: self.unready(a, "quorum"), timeout=15, interval=0.1,
                       what="/readyz 503 for the quorum")
        print(f"/readyz 503 after {time.monotonic() - t0:.1f} s: {r.json()}")
        self.assertEqual(self.gauges(a)["igbridge_cluster_ready"], 0)
        # A signed webhook is refused (Meta retries), never acknowledged.
        r = self.webhook(a)
        self.assertEqual(r.status, 503, r.body)
        self.assertIn("quorum", r.json()["error"])
        self.assertEqual(r.header("Retry-After"), "5")
        self.nats.start(0)
        self.nats.start(1)
        wait_until(a._ready, timeout=30, interval=0.2, what="/readyz 200 with the quorum back")
        # The buckets' and streams' leaders may still be being elected: a
        # webhook is answered 503 (Meta retries) until a lookup and a
        # publish go through, then 200.
        t0 = time.monotonic()
        answers = []

        def taken():
            r = self.webhook(a)
            answers.append(r.status)
            return r.status == 200 or None
        wait_until(taken, timeout=20, interval=0.2, what="a webhook taken with the quorum back")
        print(f"webhook taken {time.monotonic() - t0:.1f} s after /readyz, answers {answers}")
        self.assertTrue(all(s in (200, 503) for s in answers), answers)

        # No NATS at all: not ready, and /readyz says why; back when NATS is.
        for i in range(3):
            self.nats.kill(i)
        t0 = time.monotonic()
        r = wait_until(lambda: self.unready(a, "NATS"), timeout=10, interval=0.1,
                       what="/readyz 503 without NATS")
        print(f"/readyz 503 after {time.monotonic() - t0:.1f} s: {r.json()}")
        self.assertEqual(get(a.admin + "/livez", timeout=5).status, 200)
        for i in range(3):
            self.nats.start(i)
        wait_until(a._ready, timeout=30, interval=0.2, what="/readyz 200 with NATS back")


    def test_user_state_outlives_its_node(self):
        self.nats = self.track(NatsCluster())
        self.fg = self.track(Fakegram("graph"))
        # Both nodes answer Instagram's redirect at node-a's address (as one
        # public URL behind a load balancer would): the code exchange names
        # the redirect URI the consent page was given.
        a = self.node("node-a")
        b = self.node("node-b", extra={"server": {"public_url": a.public}})
        for ig in (a, b):
            wait_until(ig._ready, timeout=30, what="cluster node ready")
        # Every shard restored on one node, and the lease split settled.
        self.wait_served((a, b), "every shard served once, split even")
        # A user of a shard node-b serves: her link starts on node-b and
        # its callback reaches node-a, which takes the OAuth state from the
        # replicated bucket, exchanges the code and forwards the grant to
        # her owner through her shard's stream.
        user = next(u for u in ["alice"] + [f"alice-{i}" for i in range(1, 200)]
                    if shard_of(u) in self.status(b)["serving"])
        shard = shard_of(user)
        owner, other = b, a
        owner_id = "node-b"
        acct = self.fg.account("alice.cooks")
        old = [self.fg.post_media(acct["id"], f"bowl {i} #eatdifferent") for i in range(3)]
        self.fg.post_media(acct["id"], "no tags here")
        ended = fetches_ended(owner)
        final = self.link_across(owner, other, user, "alice.cooks")
        self.assertIn("instagram=connected", final)
        wait_until(lambda: "cluster.link_stored" in owner.log(), timeout=15,
                   what="the forwarded grant stored by the owner")
        self.assertIn("oauth.linked", other.log())
        wait_fetched(owner, user, ended)
        settle(owner)
        before = owner.user_json(user)
        self.assertEqual(before["imported"], 3)
        self.assertEqual(sorted(r["media_id"] for r in media_records(owner)), sorted(old))
        # Only the owner holds and runs her; admin calls for her on the other
        # node are answered by her owner (NATS request/reply).
        self.assertEqual(other.user_json(user), owner.user_json(user))
        # /status on the other node counts her in the cluster's totals
        # (from her owner's heartbeat), not in its own figures; her
        # delivered imports left no outbox anywhere.
        def totals():
            st = get(other.admin + "/status", timeout=5).json()
            t = st["cluster"]["totals"]
            return st if sum(t.get("users", {}).values()) == 1 else None
        st = wait_until(totals, timeout=10, interval=0.2, what="her in the cluster's totals")
        self.assertEqual(sum(st["users"].values()), 0)
        self.assertEqual(st["cluster"]["totals"]["dead_letters"], 0)
        by_node = {n["id"]: n["figures"] for n in st["cluster"]["nodes"]}
        self.assertEqual(sum(by_node[owner_id]["users"].values()), 1)
        # Her shard's changelog holds her link and imports, seen from the
        # other node's /status too.
        lag = self.status(other)["lag"]["shards"][shard]
        self.assertGreater(lag["changelog"], 0, lag)
        ended = fetches_ended(owner)
        self.assertEqual(other.fetch_now(user).status, 202)
        wait_fetched(owner, user, ended)
        self.assertEqual(fetches_ended(other), 0)
        # Any node takes her webhooks: the other publishes the hint to her
        # shard (200 once JetStream stored it), and her owner fetches.
        hinted = self.fg.post_media(acct["id"], "salad #eatdifferent")
        r = self.webhook(other, acct["id"])
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json(), {"hinted": 1, "unknown": 0})
        wait_until(lambda: hinted in [x["media_id"] for x in media_records(owner)] or None,
                   timeout=20, interval=0.2, what="the hinted post imported by the owner")
        old.append(hinted)
        before = owner.user_json(user)
        # Her stored photos: the other node, which fetched none of them,
        # serves them too (copied from IGB_MEDIA on the first request).
        files = [m for rec in media_records(owner) for m in rec["media"]]
        self.assertGreaterEqual(len({f["sha256"] for f in files}), 2, files)
        files = list({f["sha256"]: f for f in files}.values())

        def served_by(ig, f):
            r = get(ig.public + "/media/" + f["url"].rsplit("/media/", 1)[1], timeout=10)
            self.assertEqual(r.status, 200, f)
            return hashlib.sha256(r.body).hexdigest()
        self.assertEqual(served_by(other, files[0]), files[0]["sha256"])

        # The owner dies; the other takes the shard after the lease's TTL and
        # rebuilds it from the changelog.
        owner.kill9()
        t0 = time.monotonic()
        wait_until(lambda: shard in self.status(other)["owned"] or None, timeout=15,
                   interval=0.1, what="the shard's lease taken")
        taken = time.monotonic() - t0
        wait_until(lambda: shard in self.status(other)["serving"] or None, timeout=15,
                   interval=0.1, what="the shard restored")
        restored = time.monotonic() - t0
        print(f"\nshard {shard} owned again {taken:.1f} s after kill -9, "
              f"{user} restored at {restored:.1f} s")
        after = other.user_json(user)
        self.assertEqual(after, before)
        # Another of her photos, first asked for now that the node that
        # stored it is gone.
        self.assertEqual(served_by(other, files[1]), files[1]["sha256"])

        # Her seen set came along: a fetch on the new owner imports only the
        # post made since, once, with her token from the changelog.
        new = self.fg.post_media(acct["id"], "soup #ed")
        fetch_and_wait(self, other, self.fg, user=user)
        self.assertEqual([r["media_id"] for r in media_records(other)], [new])
        self.assertEqual(other.user_json(user)["imported"], 5)
        # And a webhook to the node that owns her now, as to any other.
        last = self.fg.post_media(acct["id"], "stew #ed")
        self.assertEqual(self.webhook(other, acct["id"]).json(), {"hinted": 1, "unknown": 0})
        wait_until(lambda: last in [x["media_id"] for x in media_records(other)] or None,
                   timeout=20, interval=0.2, what="the post hinted after the failover")
        # Her shard came from its latest snapshot and the changelog after it
        # (snapshots are made every 3 batches, the covered changelog dropped).
        restored = [line for line in other.log().splitlines()
                    if "cluster.shard_restored" in line and f"shard={shard} " in line][-1]
        fields = dict(f.split("=", 1) for f in restored.split() if "=" in f)
        print("restore:", restored)
        self.assertGreater(int(fields["snapshot_seq"]), 0)
        self.assertLess(int(fields["tail_batches"]), 10)


    def test_data_deletion_from_any_node(self):
        """Meta's data-deletion request reaches the node that does not own
        the user: it answers with a code once her erase is stored on her
        shard's stream; her owner erases her, snapshots her shard and drops
        the changelog before it, and only then does the code read
        `completed`, on either node. Her owner killed, the shard restored
        on the other node from that snapshot and changelog has nothing of
        her."""
        self.nats = self.track(NatsCluster())
        port = free_port()  # the non-owner's: Meta's deletion request goes there
        self.fg = self.track(Fakegram(
            "graph", data_deletion_url=f"http://127.0.0.1:{port}/hooks/instagram/data-deletion"))
        a = self.node("node-a", port=port)
        b = self.node("node-b")
        for ig in (a, b):
            wait_until(ig._ready, timeout=30, what="cluster node ready")
        self.wait_served((a, b), "every shard served once, split even")
        user = next(u for u in [f"dora-{i}" for i in range(200)]
                    if shard_of(u) in self.status(b)["serving"])
        shard = shard_of(user)
        acct = self.fg.account("dora.deletes")
        photo = self.fg.post_media(acct["id"], "dumplings #eatdifferent")
        ended = fetches_ended(b)
        self.assertIn("instagram=connected", b.link(user, "dora.deletes", fast=True))
        wait_fetched(b, user, ended)
        wait_until(lambda: photo in [r["media_id"] for r in media_records(b)] or None,
                   timeout=20, what="her post delivered")
        self.assertEqual(a.user(user).status, 200)  # any node answers for her

        sent = self.fg.data_deletion(acct["id"])
        self.assertEqual(sent["status"], 200, sent)
        answer = json.loads(sent["body"]) if isinstance(sent["body"], str) else sent["body"]
        code = answer["confirmation_code"]
        self.assertTrue(answer["url"].endswith("/hooks/instagram/deletion?code=" + code), answer)

        def status_on(ig):
            r = get(ig.public + "/hooks/instagram/deletion?code=" + code, timeout=5)
            self.assertEqual(r.status, 200, r.body)
            return r.json()["status"]
        wait_until(lambda: status_on(a) == "completed" or None, timeout=30, interval=0.3,
                   what="the deletion completed")
        self.assertEqual(status_on(b), "completed")
        self.assertIn("cluster.data_deletion_completed", b.log())
        # Erased on her owner, whose snapshot of her shard came after.
        for ig in (a, b):
            self.assertEqual(ig.user(user).status, 404)
        lines = b.log().splitlines()
        erased_at = max(i for i, l in enumerate(lines) if "user.erased" in l and f"user={user} " in l)
        self.assertTrue(any("cluster.snapshot_written" in l and f"shard={shard} " in l
                            for l in lines[erased_at:]), lines[erased_at:])
        # A replay of Meta's request: the same code.
        form = "signed_request=" + urllib.parse.quote(sent["signed_request"])
        again = post(b.public + "/hooks/instagram/data-deletion", form,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(again.status, 200, again.body)
        self.assertEqual(again.json()["confirmation_code"], code)
        # Nothing of her comes back from the shard's history.
        b.kill9()
        wait_until(lambda: shard in self.status(a)["serving"] or None, timeout=20,
                   interval=0.2, what="her shard restored on node-a")
        self.assertEqual(a.user(user).status, 404)
        self.assertEqual(status_on(a), "completed")

    def users_listed(self, ig):
        """Every user /users lists on the node (its own shards)."""
        out, after = [], ""
        while True:
            r = get(f"{ig.admin}/users?limit=1000" + (f"&after={after}" if after else ""),
                    timeout=10).json()
            out += [u["user"] for u in r["users"]]
            if not r["next"]:
                return out
            after = r["next"]

    def test_cluster_import(self):
        """`igbridge cluster import` of a single node with alice (3 posts
        imported) and 10,000 seeded users: every user is served by the
        cluster, alice's state came along, and nothing is imported twice."""
        self.nats = self.track(NatsCluster())
        port_b = free_port()
        self.fg = self.track(Fakegram(
            "graph", deauthorize_url=f"http://127.0.0.1:{port_b}/hooks/instagram/deauthorize"))
        single = self.track(Igbridge(self.fg, key=True))
        single.write_secret("storage_key", KEY)
        single.start()
        acct = self.fg.account("alice.cooks")
        old = [self.fg.post_media(acct["id"], f"bowl {i} #eatdifferent") for i in range(3)]
        link_alice(self, self.fg, single)
        was = single.user_json("alice")
        self.assertEqual(was["imported"], 3)
        self.assertEqual(single.stop(), 0)
        seeded = subprocess.run([SEED_USERS, "-c", single.config_path, "--users", "10000",
                                 "--due-in", "86400"], capture_output=True, text=True)
        self.assertEqual(seeded.returncode, 0, seeded.stderr)

        a = self.node("node-a", start=False)
        b = self.node("node-b", start=False, port=port_b)
        t0 = time.monotonic()
        r = subprocess.run([IGBRIDGE, "cluster", "import", "-c", a.config_path,
                            "--from", single.sections["storage"]["path"]],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        report = json.loads(r.stdout)
        print(f"\nimport: {report} in {time.monotonic() - t0:.1f} s")
        self.assertEqual(report["users"], 10001)
        self.assertEqual(report["shards"], SHARDS)

        t0 = time.monotonic()
        for ig in (a, b):
            ig.start(wait=False)
        for ig in (a, b):
            wait_until(ig._ready, timeout=30, what="cluster node ready")
        self.wait_served((a, b), "every shard served once, split even", timeout=180)
        print(f"10,001 users restored over two nodes {time.monotonic() - t0:.1f} s after start")
        listed = self.users_listed(a) + self.users_listed(b)
        self.assertEqual(len(listed), 10001)
        self.assertEqual(len(set(listed)), 10001)
        # alice as she was, from either node; a fetch imports nothing again,
        # and a new post once.
        now = a.user_json("alice")
        for k in ("state", "instagram_user_id", "username", "imported", "linked_at"):
            self.assertEqual(now[k], was[k], k)
        owner = self.owner_of("alice", (a, b))
        fetch_and_wait(self, owner, self.fg)
        self.assertEqual(media_records(a) + media_records(b), [])
        new = self.fg.post_media(acct["id"], "soup #ed")
        fetch_and_wait(self, owner, self.fg)
        self.assertEqual([m["media_id"] for m in media_records(a) + media_records(b)], [new])
        self.assertEqual(b.user_json("alice")["imported"], 4)
        # Meta's deauthorize for her reaches node-b, whoever serves her: the
        # unlink goes through her shard's stream to her owner, who unlinks
        # her and tells the host.
        sent = self.fg.deauthorize(acct["id"])
        self.assertEqual(sent["status"], 200, sent)
        wait_until(lambda: a.user_json("alice")["state"] == "unlinked" or None, timeout=15,
                   what="alice unlinked by her owner")
        def unlinked():
            return [(e["user"], e.get("by")) for e in a.imports() + b.imports()
                    if e.get("type") == "account.unlinked"] or None
        self.assertEqual(wait_until(unlinked, timeout=15, what="account.unlinked delivered"),
                         [("alice", "deauthorize")])
        # A second import is refused while the nodes run.
        r = subprocess.run([IGBRIDGE, "cluster", "import", "-c", a.config_path,
                            "--from", single.sections["storage"]["path"]],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("is running", r.stderr)


if __name__ == "__main__":
    unittest.main()
