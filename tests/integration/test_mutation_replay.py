"""Issue 21, must-show 3: what each commit changed is captured as a list of
mutations, and replaying every captured batch of a real workload (links,
webhooks, a paged import, deliveries, media, an unlink, a data deletion)
onto an empty environment yields the same data: the data sections of
`mdb_dump -a` of both are equal (headers, which carry the map size, left
out). This is what a shard's changelog will carry."""

import os
import shutil
import subprocess
import tempfile
import unittest

from harness import DaemonTest, Fakegram, Igbridge, free_port, wait_until
from pipeline import link_alice, media_records, settle

REPLAY = os.environ.get("REPLAY_CHANGELOG_BIN", "build/tests/replay_changelog")


def dump_data(path):
    """{database: [data lines]} of `mdb_dump -a` (the main database, whose
    values hold page numbers, left out)."""
    out = subprocess.run(["mdb_dump", "-a", path], capture_output=True, text=True, check=True)
    sections, name, data, in_data = {}, None, [], False
    for line in out.stdout.splitlines():
        if line.startswith("database="):
            name = line.split("=", 1)[1]
        elif line == "HEADER=END":
            in_data, data = True, []
        elif line == "DATA=END":
            if name is not None:
                sections[name] = data
            in_data, name = False, None
        elif in_data:
            data.append(line)
    return sections


class MutationReplay(DaemonTest):
    def test_replayed_changelog_equals_the_store(self):
        if not shutil.which("mdb_dump"):
            self.skipTest("mdb_dump (lmdb-utils) not installed")
        port = free_port()
        fg = self.track(Fakegram("graph", webhook_url=f"http://127.0.0.1:{port}/hooks/instagram",
                                 deauthorize_url=f"http://127.0.0.1:{port}/hooks/instagram/deauthorize",
                                 data_deletion_url=f"http://127.0.0.1:{port}/hooks/instagram/data-deletion"))
        ig = self.track(Igbridge(fg, port=port, import_overrides={
            "update_count": 2, "webhook_delay_s": 1, "poll": False}))
        changelog = os.path.join(ig.dir, "changelog.bin")
        ig.start(env={"IGBRIDGE_CHANGELOG_FILE": changelog})

        # Links (with an initial import), a paged import after a webhook,
        # deliveries with stored media, an unlink and a data deletion.
        alice = fg.account("alice.cooks")
        bob = fg.account("bob.bakes")
        fg.post_media(alice["id"], "First #ed")
        link_alice(self, fg, ig)
        ig.link("bob", "bob.bakes")
        for i in range(5):
            fg.post_media(alice["id"], f"Meal {i} #eatdifferent")
        fg.post_media(bob["id"], "Bread #ed", media_type="CAROUSEL_ALBUM", children=2)
        self.assertEqual(fg.mention(alice["id"])["status"], 200)
        self.assertEqual(ig.fetch_now("bob").status, 202)
        wait_until(lambda: len(media_records(ig)) == 7, timeout=30, what="seven imports")
        settle(ig)
        self.assertEqual(fg.deauthorize(bob["id"])["status"], 200)
        self.assertEqual(fg.data_deletion(alice["id"])["status"], 200)
        settle(ig)
        self.assertEqual(ig.stop(), 0)

        replica = tempfile.mkdtemp(prefix="igbridge-replica-")
        self.addCleanup(shutil.rmtree, replica, True)
        r = subprocess.run([REPLAY, changelog, replica], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        batches = int(r.stdout.split()[0])
        self.assertGreater(batches, 10, r.stdout)

        original = dump_data(os.path.join(ig.dir, "db"))
        copy = dump_data(replica)
        self.assertEqual(sorted(original), sorted(copy))
        # The workload left data behind in most families, so equal dumps
        # mean something.
        filled = [name for name, lines in original.items() if lines]
        self.assertGreaterEqual(len(filled), 8, filled)
        for name in original:
            self.assertEqual(original[name], copy[name], name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
