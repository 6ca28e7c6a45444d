"""One signed payload of 1000 entries for 1000 linked accounts: one LMDB
commit for the whole payload, then every account fetched exactly once."""

import json
import re
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from harness import DaemonTest, Fakegram, Igbridge, get, post, sign_sha256, wait_until

N = 1000


def metric(text, name):
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


class ThousandAccounts(DaemonTest):
    def test_one_payload_thousand_accounts(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg, import_overrides={"poll": False, "webhook_delay_s": 2,
                                                       "initial_count": 1})).start()
        ig.sections["log"]["level"] = "warning"
        accounts = [fg.account(f"acct{i:04d}") for i in range(N)]

        def link(i):
            final = ig.link(f"user{i:04d}", f"acct{i:04d}", fast=True)
            assert "instagram=connected" in final, final

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(link, range(N)))

        def all_fetched_once():
            users = get(ig.admin + "/users?limit=1000").json()["users"]
            return len(users) == N and all(u["last_fetch_at"] for u in users)

        wait_until(all_fetched_once, timeout=120, interval=0.5, what="initial fetches")
        before = {u["user"]: u["last_fetch_at"]
                  for u in get(ig.admin + "/users?limit=1000").json()["users"]}
        media_before = fg.media_calls()
        m0 = ig.metrics_text()
        body = json.dumps({"object": "instagram", "entry": [
            {"id": a["id"], "time": int(time.time()), "changes": [{"field": "mentions",
                                                                   "value": {}}]}
            for a in accounts]}).encode()
        time.sleep(1.1)  # last_fetch_at has one-second resolution
        r = post(ig.public + "/hooks/instagram", body,
                 headers={"X-Hub-Signature-256": sign_sha256(fg.client_secret, body)})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["hinted"], N)
        m1 = ig.metrics_text()
        self.assertEqual(metric(m1, "igbridge_webhook_commits_total")
                         - metric(m0, "igbridge_webhook_commits_total"), 1)

        def refetched():
            users = get(ig.admin + "/users?limit=1000").json()["users"]
            return all(u["last_fetch_at"] != before[u["user"]] for u in users)

        wait_until(refetched, timeout=120, interval=0.5, what="hinted fetches")
        time.sleep(3)
        self.assertEqual(fg.media_calls() - media_before, N)


if __name__ == "__main__":
    unittest.main(verbosity=2)
