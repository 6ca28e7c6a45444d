"""Issue 3, must-show 2 and 3: the webhook sink (Standard Webhooks signing,
retries, 410, dead letters and replay) and the Micropub sink, each checked
by a receiver that looks at the requests the way the host app would."""

import base64
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
import unittest
import urllib.parse

from harness import DaemonTest, Fakegram, Igbridge, Receiver, get, wait_until
from pipeline import caption_tags, dead, fetch_and_wait, link_alice, parse_time, pending


def verify_standard_webhook(secret, headers, body):
    """Standard Webhooks: v1 = base64 HMAC-SHA256(base64-decoded secret after
    whsec_, "id.timestamp.body"); the header may list several signatures."""
    msg_id = headers.get("webhook-id")
    ts = headers.get("webhook-timestamp")
    sigs = headers.get("webhook-signature")
    if not msg_id or not ts or not sigs:
        return False
    if abs(time.time() - int(ts)) > 300:
        return False
    key = base64.b64decode(secret[len("whsec_"):])
    expected = base64.b64encode(
        hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    for sig in sigs.split(" "):
        version, _, value = sig.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


class SinkTest(DaemonTest):
    def webhook_daemon(self, answers=(), default_status=200, retry=(1, 1, 1)):
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        recv = self.track(Receiver(default_status, answers=answers, path="/hooks/igbridge",
                                   check=lambda h, b: verify_standard_webhook(secret, h, b),
                                   media_only=True))
        self.fg = self.track(Fakegram("graph"))
        secret_dir = tempfile.mkdtemp(prefix="igbridge-sink-")
        path = os.path.join(secret_dir, "webhook_secret")
        with open(path, "w") as f:
            f.write(secret + "\n")
        self.ig = self.track(Igbridge(self.fg, sink={
            "type": "webhook", "url": recv.url, "secret_file": path,
            "retry_schedule_s": list(retry), "concurrency": 4, "timeout_s": 5})).start()
        self.acct = self.fg.account("alice.cooks")
        return recv

    def post(self, caption):
        return self.fg.post_media(self.acct["id"], caption)


class Webhook(SinkTest):
    def test_receiver_rejects_forgeries(self):
        # the check below must be able to fail, or the tests prove nothing
        secret = "whsec_" + base64.b64encode(b"k" * 24).decode()
        key = base64.b64decode(secret[6:])
        body = b'{"a":1}'
        ts = str(int(time.time()))
        sig = base64.b64encode(hmac.new(key, f"x.{ts}.".encode() + body,
                                        hashlib.sha256).digest()).decode()
        h = {"webhook-id": "x", "webhook-timestamp": ts, "webhook-signature": "v1," + sig}
        self.assertTrue(verify_standard_webhook(secret, h, body))
        self.assertFalse(verify_standard_webhook(secret, h, body + b" "))
        self.assertFalse(verify_standard_webhook(secret, dict(h, **{"webhook-id": "y"}), body))
        other = "whsec_" + base64.b64encode(b"j" * 24).decode()
        self.assertFalse(verify_standard_webhook(other, h, body))

    def test_refused_twice_then_accepted_arrives_once(self):
        recv = self.webhook_daemon(answers=[500, 503])
        mid = self.post("Noodles #eatdifferent")
        t_post = time.time()
        self.ig.link("alice", "alice.cooks")
        wait_until(lambda: recv.accepted(), timeout=30, what="an accepted delivery")
        time.sleep(3)  # anything still to come would be a duplicate
        self.assertEqual(len(recv.accepted()), 1)
        reqs = recv.requests
        self.assertEqual([r["status"] for r in reqs], [500, 503, 200])
        self.assertTrue(all(r["valid"] for r in reqs))
        # one delivery, one id: the host can de-duplicate retries by it
        self.assertEqual({r["headers"]["webhook-id"] for r in reqs}, {"instagram:" + mid})
        # Retried on the schedule (1 s), not in a tight loop. The outbox
        # keeps due times in whole seconds: a failure at 12:00:00.99 is due
        # again at 12:00:01, so one retry may follow within milliseconds
        # (CI saw 7 ms), but the second is due a whole second after that.
        self.assertGreater(reqs[2]["at"] - reqs[0]["at"], 1.0)
        body = json.loads(reqs[-1]["body"])
        self.assertEqual(body["type"], "media.imported")
        self.assertIn("timestamp", body)
        rec = body["data"]
        self.assertEqual(rec["id"], "instagram:" + mid)
        self.assertEqual(rec["media_id"], mid)
        self.assertEqual(rec["user"], "alice")
        self.assertEqual(rec["instagram_user_id"], self.acct["id"])
        self.assertEqual(rec["caption"], "Noodles #eatdifferent")
        self.assertEqual(rec["tags"], ["eatdifferent"])
        self.assertLessEqual(abs(parse_time(rec["taken_at"]) - t_post), 5)
        parse_time(rec["imported_at"])
        self.assertEqual(reqs[-1]["headers"]["content-type"].split(";")[0], "application/json")
        wait_until(lambda: not pending(self.ig), what="outbox empty")
        self.assertEqual(dead(self.ig), [])

    def test_gone_stops_delivery(self):
        recv = self.webhook_daemon(answers=[410])
        first = self.post("Soup #ed")
        link_alice(self, self.fg, self.ig, drain=False)
        wait_until(lambda: recv.count() >= 1, timeout=15, what="first delivery")
        later = [self.post("Salad #ed"), self.post("Bread #eatdifferent")]
        fetch_and_wait(self, self.ig, self.fg, drain=False)
        time.sleep(3)
        # nothing more is sent after the 410, and nothing is lost either
        self.assertEqual(recv.count(), 1)
        self.assertEqual(recv.requests[0]["headers"]["webhook-id"], "instagram:" + first)
        held = {e["record_id"] for e in pending(self.ig)}
        self.assertEqual(held, {"instagram:" + m for m in [first] + later})
        status = get(self.ig.admin + "/status", headers={"Accept": "application/json"}).json()
        self.assertTrue(status["sink"]["gone"])
        self.assertIn("sink.gone", self.ig.log())
        # still held after a restart: the 410 is remembered
        self.ig.restart()
        time.sleep(2)
        self.assertEqual(recv.count(), 1)

    def test_dead_letter_and_replay(self):
        recv = self.webhook_daemon(default_status=500, retry=(1, 1))
        mid = self.post("Tacos #eatdifferent")
        self.ig.link("alice", "alice.cooks")
        items = wait_until(lambda: dead(self.ig), timeout=30, what="a dead letter")
        self.assertEqual(len(items), 1)
        letter = items[0]
        self.assertEqual(letter["record_id"], "instagram:" + mid)
        self.assertEqual(letter["type"], "media.imported")
        self.assertEqual(letter["attempts"], 3)  # first try + one per retry
        self.assertIn("500", letter["last_error"])
        self.assertEqual(recv.count(), 3)
        self.assertEqual(pending(self.ig), [])
        time.sleep(2)
        self.assertEqual(recv.count(), 3)  # a dead letter is not retried on its own
        out = self.ig.cli("outbox", "list", check=True).stdout
        self.assertIn(letter["id"], out)
        self.assertIn("instagram:" + mid, out)

        recv.default_status = 200
        r = self.ig.cli("outbox", "replay", letter["id"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        wait_until(lambda: recv.accepted(), timeout=15, what="the replayed delivery")
        self.assertEqual(recv.accepted()[0]["headers"]["webhook-id"], "instagram:" + mid)
        wait_until(lambda: not dead(self.ig) and not pending(self.ig), what="outbox empty")
        self.assertNotIn("instagram:" + mid, self.ig.cli("outbox", "list", check=True).stdout)
        # replaying it again: nothing to replay
        self.assertNotEqual(self.ig.cli("outbox", "replay", letter["id"]).returncode, 0)
        time.sleep(1)
        self.assertEqual(len(recv.accepted()), 1)


class Micropub(DaemonTest):
    def test_form_fields_and_bearer_token(self):
        recv = self.track(Receiver(201, path="/micropub"))
        fg = self.track(Fakegram("graph"))
        token = "mp-" + secrets.token_hex(12)
        secret_dir = tempfile.mkdtemp(prefix="igbridge-sink-")
        path = os.path.join(secret_dir, "micropub_token")
        with open(path, "w") as f:
            f.write(token + "\n")
        # Without stored media the entry references Instagram's URL (uploads
        # and multipart entries: test_media.py).
        ig = self.track(Igbridge(fg, sink={"type": "micropub", "url": recv.url,
                                           "token_file": path,
                                           "retry_schedule_s": [1, 1, 1]},
                                 extra={"media": {"store": False}})).start()
        acct = fg.account("alice.cooks")
        caption = "Pho for lunch #EatDifferent #soup"
        mid = fg.post_media(acct["id"], caption)
        t_post = time.time()
        fg.post_media(acct["id"], "untagged")
        link_alice(self, fg, ig)
        wait_until(lambda: recv.requests, timeout=15, what="a micropub request")
        time.sleep(1)
        self.assertEqual(len(recv.requests), 1)
        req = recv.requests[0]
        self.assertEqual(req["headers"]["authorization"], "Bearer " + token)
        self.assertEqual(req["headers"]["content-type"].split(";")[0],
                         "application/x-www-form-urlencoded")
        form = urllib.parse.parse_qs(req["body"].decode(), keep_blank_values=True)
        self.assertEqual(form["h"], ["entry"])
        self.assertEqual(form["content"], [caption])
        self.assertEqual(form["category[]"], caption_tags(caption))
        photo = form["photo"][0]
        self.assertTrue(photo.startswith(fg.base + "/") and mid in photo, photo)
        self.assertEqual(get(photo).status, 200)
        self.assertLessEqual(abs(parse_time(form["published"][0]) - t_post), 5)
        syn = form["syndication"][0]
        self.assertTrue(syn.startswith(fg.base + "/") and mid in syn, syn)
        self.assertEqual(len(form["photo"]), 1)
        self.assertEqual(pending(ig), [])
        self.assertEqual(dead(ig), [])
        self.assertNotIn(token, ig.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
