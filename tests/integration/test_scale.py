"""The schedule is data (issue 11): 10,000 linked users, seeded by
bench/seed_users with valid fakegram tokens, each due at its own second
over half a minute. The daemon is stopped (SIGTERM) after a third of them
were fetched and killed (SIGKILL) after two thirds, and started again each
time. Every user is still fetched, none before its due second, and each
has a fresh plan afterwards: its next fetch a poll interval later and its
entry in the schedule index. Only fetches cut short by a stop repeat."""

import calendar
import json
import os
import re
import subprocess
import time
import unittest

from harness import DaemonTest, Fakegram, Igbridge, get, wait_until

N = 10000
DUE_IN = 6     # the first user is due this long after seeding
SPREAD = 30    # the others follow, evenly over this many seconds
SEED_USERS = os.environ.get("SEED_USERS_BIN", "build/seed_users")


def metric(text, name):
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def unix(rfc3339):
    return calendar.timegm(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ"))


def all_users(ig):
    users, after = [], ""
    while True:
        page = get(ig.admin + f"/users?limit=1000&after={after}", timeout=60).json()
        users += page["users"]
        if not page["next"]:
            return users
        after = page["next"]


class RestartWithTenThousandUsers(DaemonTest):
    def test_every_schedule_resumes(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg, import_overrides={"initial_count": 1}))
        ig.sections["log"]["level"] = "warning"  # 10,000 fetch.done lines otherwise
        ig.write_config()
        seeded = subprocess.run(
            [SEED_USERS, "-c", ig.config_path, "--users", str(N), "--fakegram", fg.base,
             "--due-in", str(DUE_IN), "--spread", str(SPREAD), "--fetched"],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(seeded.returncode, 0, seeded.stderr)
        s = json.loads(seeded.stdout)
        self.assertEqual(s["created"], N)
        # User k is due at first_due + floor(SPREAD * k / N) (seed_users' rule).
        due = {f"user{k}": s["first_due"] + SPREAD * k // N for k in range(N)}
        seeded_at = s["first_due"] - DUE_IN

        ig.start()
        self.assertEqual(metric(ig.metrics_text(), "igbridge_scheduled_fetches"), N)
        wait_until(lambda: fg.media_calls() >= N // 3, timeout=180, interval=0.2,
                   what="a third fetched")
        self.assertEqual(ig.stop(), 0)
        time.sleep(2)  # some come due while it is down
        ig.start()
        wait_until(lambda: fg.media_calls() >= 2 * N // 3, timeout=180, interval=0.2,
                   what="two thirds fetched")
        ig.kill9()
        time.sleep(2)
        ig.start()

        def everyone_fetched():
            users = all_users(ig)
            left = [u for u in users if unix(u["last_fetch_at"]) <= seeded_at]
            return len(users) == N and not left

        wait_until(everyone_fetched, timeout=300, interval=2, what="every user fetched")
        users = all_users(ig)
        early = [u["user"] for u in users if unix(u["last_fetch_at"]) < due[u["user"]]]
        self.assertEqual(early, [], "fetched before their due second")
        not_replanned = [u["user"] for u in users
                         if u["state"] != "active" or u["last_error"]
                         or unix(u["next_fetch_at"]) < unix(u["last_fetch_at"]) + 86400]
        self.assertEqual(not_replanned, [], "without a next poll a tier later")
        text = ig.metrics_text()
        self.assertEqual(metric(text, "igbridge_scheduled_fetches"), N)
        self.assertEqual(metric(text, 'igbridge_users{state="active"}'), N)
        status = get(ig.admin + "/status").json()
        self.assertGreaterEqual(unix(status["schedule"][0]["due_at"]), time.time() + 80000,
                                "an entry left due in the schedule index")
        # Each user once, plus at most the fetches in flight at each stop.
        calls = fg.media_calls()
        self.assertGreaterEqual(calls, N)
        self.assertLessEqual(calls, N + 2 * 256, "users fetched again after the restarts")


if __name__ == "__main__":
    unittest.main(verbosity=2)
