"""What the cluster's integration tests share: igbridge nodes on one NATS
cluster (shards = 16, lease_ttl_s = 2, one storage key for all), the
shard hash, signed webhooks to any node, and the nodes' view of the
cluster."""

import json
import time
import urllib.parse

from harness import Browser, Igbridge, get, post, sign_sha256, wait_until

SHARDS = 16
SNAPSHOT_EVERY = 3  # changelog batches of a shard between its snapshots
M64 = (1 << 64) - 1
KEY = "ab" * 32     # the storage key every node shares (tokens are sealed with it)


def shard_of(user, shards=SHARDS):
    """src/cluster/sharding.cpp's: FNV-1a 64, then SplitMix64's finaliser."""
    h = 0xcbf29ce484222325
    for c in user.encode():
        h = ((h ^ c) * 0x100000001b3) & M64
    h ^= h >> 30
    h = (h * 0xbf58476d1ce4e5b9) & M64
    h ^= h >> 27
    h = (h * 0x94d049bb133111eb) & M64
    h ^= h >> 31
    return h % shards


class ClusterNodes:
    """Mixed into a DaemonTest that has self.nats and self.fg."""

    def node(self, name, key=KEY, extra=None, start=True, port=None):
        """A node, started without waiting (or not at all); `key`: the
        shared storage key (None: none)."""
        cluster = {"nats_urls": self.nats.urls, "node_id": name, "shards": SHARDS,
                   "lease_ttl_s": 2, "replicas": 3, "snapshot_every": SNAPSHOT_EVERY}
        ig = Igbridge(self.fg, key=key is not None, extra={"cluster": cluster, **(extra or {})},
                      port=port)
        if key is not None:
            ig.write_secret("storage_key", key)
        self.track(ig)
        return ig.start(wait=False) if start else ig

    def status(self, ig):
        return get(ig.admin + "/status", timeout=5).json()["cluster"]

    def webhook(self, ig, ig_id="17841400000001"):
        body = json.dumps({"object": "instagram", "entry": [
            {"id": ig_id, "time": int(time.time()),
             "changes": [{"field": "mentions", "value": {"media_id": "1"}}]}]}).encode()
        return post(ig.public + "/hooks/instagram", body,
                    headers={"Content-Type": "application/json",
                             "X-Hub-Signature-256": sign_sha256(self.fg.client_secret, body)},
                    timeout=10)

    def serving(self, nodes):
        """{node id: shards it serves} once every shard is served exactly
        once over `nodes`, else None."""
        try:
            st = {ig: self.status(ig) for ig in nodes}
        except Exception:  # a node still starting, or stopped meanwhile
            return None
        got = sorted(s for v in st.values() for s in v["serving"])
        if got != list(range(SHARDS)):
            return None
        return {v["node"]: v["serving"] for v in st.values()}

    def link_across(self, start, finish, user, username):
        """The link flow started on node `start`, its callback sent to node
        `finish` with the browser's cookie (as a load balancer in front of
        both would); returns where the browser ends."""
        b = Browser()
        r = b.get(start.signed_link_url(user))
        assert r.status == 302, (r.status, r.body)
        authorize = r.header("Location") + "&as=" + urllib.parse.quote(username)
        stop = {urllib.parse.urlsplit(ig.public).netloc for ig in (start, finish)}
        callback, _ = b.follow(authorize, stop_netlocs=stop)
        netloc = urllib.parse.urlsplit(start.public).netloc
        parts = urllib.parse.urlsplit(callback)._replace(
            netloc=urllib.parse.urlsplit(finish.public).netloc)
        r = get(urllib.parse.urlunsplit(parts), headers={"Cookie": b._cookie_header(netloc)})
        assert r.status == 302, (r.status, r.body)
        return r.header("Location")

    def wait_served(self, nodes, what, timeout=60):
        """Every shard served once over `nodes`, each within one of fair."""
        def even():
            s = self.serving(nodes)
            if not s or len(s) != len(nodes):
                return None
            counts = sorted(len(v) for v in s.values())
            return s if counts[-1] - counts[0] <= 1 else None
        t0 = time.monotonic()
        s = wait_until(even, timeout=timeout, interval=0.1, what=what)
        took = time.monotonic() - t0
        print(f"{what}: {took:.1f} s, shards per node "
              f"{ {k: len(v) for k, v in sorted(s.items())} }", flush=True)
        return took

    def owner_of(self, user, nodes):
        shard = shard_of(user)
        for ig in nodes:
            if shard in self.status(ig)["serving"]:
                return ig
        return None
