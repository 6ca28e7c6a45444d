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


def wait_fetched(ig, fg, user, calls_before, since, timeout=20):
    """Waits until a fetch that began after `calls_before` media calls ended:
    the provider saw a media call and last_fetch_at or last_error moved past
    `since` (unix seconds, whole)."""
    wait_until(lambda: fg.media_calls() > calls_before, timeout=timeout,
               what="a media call to fakegram")

    def ended():
        u = ig.user_json(user)
        if u["state"] != "active":
            return u
        if u["last_fetch_at"] and parse_time(u["last_fetch_at"]) >= since:
            return u
        if u["last_error"] and u["next_fetch_at"] and parse_time(u["next_fetch_at"]) > since:
            return u
        return None

    return wait_until(ended, timeout=timeout, what=f"end of {user}'s fetch")


def fetch_and_wait(test, ig, fg, user="alice", timeout=20):
    """POST /users/{user}/fetch (202), then waits for that fetch to end and
    for the outbox to drain; returns the user JSON."""
    before = fg.media_calls()
    since = int(time.time())
    r = ig.fetch_now(user)
    test.assertEqual(r.status, 202, r.body)
    u = wait_fetched(ig, fg, user, before, since, timeout)
    settle(ig)
    return u


def settle(ig, timeout=20):
    """Waits until the outbox holds nothing due now (delivered or parked)."""
    def drained():
        now = time.time()
        return all(parse_time(e["next_attempt_at"]) > now + 0.5 for e in pending(ig)) or None

    wait_until(drained, timeout=timeout, what="outbox drained")


def link_alice(test, fg, ig, username="alice.cooks"):
    """Links app user alice to the (existing) fakegram account `username`
    and waits for the initial fetch to end and its imports to be delivered."""
    before = fg.media_calls()
    since = int(time.time())
    final = ig.link("alice", username)
    test.assertIn("instagram=connected", final)
    wait_fetched(ig, fg, "alice", before, since)
    settle(ig)
