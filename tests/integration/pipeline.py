"""Helpers shared by the import pipeline tests (test_import, test_sinks,
test_provider_faults, test_revoke, test_crash). Not a test module itself."""

import datetime
import re
import time

from harness import get, wait_until

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
HASHTAG = re.compile(r"(?<![\w#])#(\w+)")


def parse_time(s):
    """RFC 3339 → unix seconds (float)."""
    assert s is not None and RFC3339.match(s), f"not RFC 3339: {s!r}"
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def caption_tags(caption):
    """The hashtags a reader sees in an (ASCII) caption, lower-cased, in order."""
    out = []
    for t in HASHTAG.findall(caption):
        t = t.lower()
        if t not in out:
            out.append(t)
    return out


def media_records(ig):
    """The JSONL sink's media.imported lines."""
    return [r for r in ig.imports() if r.get("type", "media.imported") == "media.imported"]


def pending(ig):
    r = get(ig.admin + "/outbox?state=pending&limit=1000", headers=ig.auth())
    assert r.status == 200, (r.status, r.body)
    return r.json()["items"]


def dead(ig):
    r = get(ig.admin + "/outbox?state=dead&limit=1000", headers=ig.auth())
    assert r.status == 200, (r.status, r.body)
    return r.json()["items"]


def fetches_ended(ig):
    """Fetches ended since start-up, whatever their outcome (from /metrics)."""
    total = 0.0
    for line in ig.metrics_text().splitlines():
        if line.startswith("igbridge_fetches_total"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def wait_fetched(ig, user, ended_before, timeout=20):
    """Waits until a fetch ended after `ended_before` = fetches_ended(ig)
    was read; returns the user JSON."""
    wait_until(lambda: fetches_ended(ig) > ended_before, timeout=timeout,
               what=f"end of {user}'s fetch")
    return ig.user_json(user)


def fetch_and_wait(test, ig, fg=None, user="alice", timeout=20, drain=True):
    """POST /users/{user}/fetch (202), then waits for that fetch to end and
    (with `drain`) for the outbox to drain; returns the user JSON."""
    before = fetches_ended(ig)
    r = ig.fetch_now(user)
    test.assertEqual(r.status, 202, r.body)
    wait_fetched(ig, user, before, timeout)
    if drain:
        settle(ig, max(timeout, 20))
    return ig.user_json(user)


def settle(ig, timeout=20):
    """Waits until the outbox holds nothing due now (delivered or parked)."""
    def drained():
        now = time.time()
        return all(parse_time(e["next_attempt_at"]) > now + 0.5 for e in pending(ig)) or None

    wait_until(drained, timeout=timeout, what="outbox drained")


def link_alice(test, fg, ig, username="alice.cooks", drain=True):
    """Links app user alice to the (existing) fakegram account `username`
    and waits for the initial fetch to end and its imports to be delivered."""
    before = fetches_ended(ig)
    final = ig.link("alice", username)
    test.assertIn("instagram=connected", final)
    wait_fetched(ig, "alice", before)
    if drain:
        settle(ig)
