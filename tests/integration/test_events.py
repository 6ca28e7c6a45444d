"""Issue 23, the sinks' half: every event reaches each sink in its form, checked
by the clients a host app really uses. JSONL lines carry `type` and
`event_id`; Standard Webhooks deliveries verify with the official
`standardwebhooks` library, with either of two secrets alone (rotation); the
Micropub create is taken by `micropub-express`, and its Location is kept for
the update and delete that follow (checked against a receiver that follows
the spec's JSON examples, as micropub-express does no updates); account events
go to sink.events_url. `igbridge sink test` against each sink.

The sinks' tests queue media.updated, media.deleted and account events into
the stopped daemon's store with tests/tools/queue_event (as the producer
queues them), to reach every form; FromTheProvider, AccountLife and Backfill
run them end to end from fakegram (a caption edited, a post deleted, a token
revoked, rules changed)."""

import base64
import calendar
import json
import os
import secrets
import signal
import subprocess
import threading
import time
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import (DaemonTest, Fakegram, Igbridge, Receiver, free_port, get, request,
                     wait_until)
from node_clients import NodeServer, node_modules, verify_standard_webhook
from pipeline import dead, fetch_and_wait, link_alice, media_records, pending, settle

QUEUE_EVENT = os.environ.get("QUEUE_EVENT_BIN", "build/tests/queue_event")


def whsec():
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def write_file(ig, name, text):
    os.makedirs(os.path.join(ig.dir, "secrets"), exist_ok=True)
    path = ig.secret_path(name)
    with open(path, "w") as f:
        f.write(text)
    return path


def queue_event(ig, type_, event_id, data):
    """Queues one event into the stopped daemon's store, as the producer would."""
    subprocess.run([QUEUE_EVENT, os.path.join(ig.dir, "db"), type_, event_id,
                    data.get("user", "alice"), json.dumps(data)],
                   check=True, capture_output=True, timeout=30)


def stored_imports(ig):
    """The daemon's `imports` records (user, media id → value), read with
    mdb_dump from lmdb-utils."""
    out = subprocess.run(["mdb_dump", "-p", "-s", "imports", os.path.join(ig.dir, "db")],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError("mdb_dump failed (lmdb-utils: make deps): " + out.stderr)
    lines = [l[1:] for l in out.stdout.split("HEADER=END\n", 1)[1].splitlines()
             if l.startswith(" ")]
    decode = lambda s: s.encode("latin-1").decode("unicode_escape").encode("latin-1").decode()
    records = {}
    for key, value in zip(lines[0::2], lines[1::2]):
        user, _, media_id = decode(key.replace("\\00", "\x00")).partition("\x00")
        records[(user, media_id)] = json.loads(decode(value))
    return records


class MicropubSpecReceiver:
    """A Micropub endpoint written from the W3C spec's examples: a media
    endpoint (§3.6, announced by q=config; each upload answered 201 with its
    file's URL), creates (form or JSON, answered 201 with a Location), JSON
    updates (§3.3: "replace" arrays, "delete" property names) and deletes
    (§3.4) of a post it created, answered 204; anything else 400 as the
    spec's invalid_request. Posts and requests are kept for the test."""

    def __init__(self, token):
        self.token = token
        self.posts = {}       # url → properties (None once deleted)
        self.requests = []    # (action, body) sent to the Micropub endpoint
        self.uploads = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def answer(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.headers.get("Authorization") != "Bearer " + outer.token:
                    return self.answer(401)
                config = {"media-endpoint": outer.base + "/media"}
                self.answer(200, json.dumps(config).encode(),
                            [("Content-Type", "application/json")])

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                if self.headers.get("Authorization") != "Bearer " + outer.token:
                    return self.answer(401)
                content_type = self.headers.get("Content-Type", "")
                if self.path == "/media":
                    if not content_type.startswith("multipart/form-data") or b'name="file"' not in raw:
                        return self.answer(400)
                    with outer.lock:
                        outer.uploads += 1
                        url = f"{outer.base}/files/{outer.uploads}"
                    return self.answer(201, headers=[("Location", url)])
                status, location = outer.handle(content_type, raw)
                self.answer(status, headers=[("Location", location)] if location else [])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = self.base + "/micropub"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, content_type, raw):
        with self.lock:
            if content_type.startswith("application/json"):
                body = json.loads(raw)
            elif content_type.startswith("application/x-www-form-urlencoded"):
                body = {"h": "entry", "properties": {}}
                for k, v in urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True):
                    body["properties"].setdefault(k.removesuffix("[]"), []).append(v)
            else:
                return 400, None
            action = body.get("action", "create")
            self.requests.append((action, body))
            if action == "create":
                url = f"{self.base}/posts/{len(self.posts) + 1}"
                self.posts[url] = dict(body.get("properties", {}))
                return 201, url
            post = self.posts.get(body.get("url"))
            if post is None:
                return 400, None  # no such post (or deleted): invalid_request
            if action == "delete" and set(body) == {"action", "url"}:
                self.posts[body["url"]] = None
                return 204, None
            if action != "update" or not set(body) - {"action", "url"} <= {"replace", "add",
                                                                          "delete"}:
                return 400, None
            for prop, values in body.get("replace", {}).items():
                if not isinstance(values, list):
                    return 400, None
                post[prop] = values
            for prop in body.get("delete", []):
                post.pop(prop, None)
            return 204, None

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Jsonl(DaemonTest):
    def test_lines_carry_type_and_event_id(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg)).start()
        acct = fg.account("alice.cooks")
        mid = fg.post_media(acct["id"], "Dal #ed")
        link_alice(self, fg, ig)
        [line] = media_records(ig)
        self.assertEqual(line["event_id"], "instagram:" + mid)  # the record id, as today
        self.assertEqual(line["id"], "instagram:" + mid)
        # An account event: its own event id, never a record's.
        fg.revoke(acct["id"])
        fetch_and_wait(self, ig, fg)
        revoked = wait_until(lambda: [l for l in ig.imports() if l["type"] == "link.revoked"],
                             what="link.revoked line")
        self.assertTrue(revoked[0]["event_id"])
        self.assertEqual(revoked[0]["event_id"], revoked[0]["id"])
        ids = [l["event_id"] for l in ig.imports()]
        self.assertEqual(len(ids), len(set(ids)))

        # `sink test` appends one test line beside the daemon's own.
        r = ig.cli("sink", "test")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        last = ig.imports()[-1]
        self.assertEqual(last["type"], "test")
        self.assertTrue(last["event_id"].startswith("test:"))
        self.assertIn("appended to " + ig.jsonl, r.stdout)

    def test_sink_test_names_the_path_it_cannot_write(self):
        fg = self.track(Fakegram("graph"))
        ig = Igbridge(fg)
        os.makedirs(ig.jsonl)  # a directory where the file should be
        r = ig.cli("sink", "test")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("sink.path", r.stderr)


class StandardWebhooks(DaemonTest):
    def setUp(self):
        super().setUp()
        node_modules()  # skips the class, saying why, without npm or its registry

    def daemon(self, secret_lines, recv):
        self.fg = self.track(Fakegram("graph"))
        ig = Igbridge(self.fg, sink={"type": "webhook", "url": recv.url,
                                     "secret_file": "", "retry_schedule_s": [1, 1, 1]})
        ig.sections["sink"]["secret_file"] = write_file(ig, "webhook_secrets",
                                                        "\n".join(secret_lines) + "\n")
        ig.write_config()
        self.acct = self.fg.account("alice.cooks")
        return self.track(ig)

    def test_two_secrets_each_verify_alone_with_the_official_library(self):
        old, new, stranger = whsec(), whsec(), whsec()
        recv = self.track(Receiver(path="/hooks/igbridge"))
        ig = self.daemon([old, new], recv).start()
        mid = self.fg.post_media(self.acct["id"], "Ramen #eatdifferent")
        link_alice(self, self.fg, ig)
        self.fg.revoke(self.acct["id"])
        fetch_and_wait(self, ig, self.fg)
        wait_until(lambda: any(json.loads(r["body"])["type"] == "link.revoked"
                               for r in recv.accepted()), what="the link.revoked delivery")
        seen = {}
        for req in recv.accepted():
            self.assertEqual(len(req["headers"]["webhook-signature"].split(" ")), 2)
            ok_old, payload = verify_standard_webhook(old, req)
            self.assertTrue(ok_old, payload)
            ok_new, payload_new = verify_standard_webhook(new, req)
            self.assertTrue(ok_new, payload_new)
            ok, why = verify_standard_webhook(stranger, req)
            self.assertFalse(ok, "a secret the daemon never had must not verify")
            seen[payload["type"]] = (req["headers"]["webhook-id"], payload)
        event_id, payload = seen["media.imported"]
        self.assertEqual(event_id, "instagram:" + mid)
        self.assertEqual(payload["data"]["id"], event_id)
        event_id, payload = seen["link.revoked"]
        self.assertEqual(payload["data"]["user"], "alice")
        self.assertNotEqual(event_id, "instagram:" + mid)

        # Rotation done: the file keeps the new secret alone, SIGHUP re-reads it.
        write_file(ig, "webhook_secrets", new + "\n")
        ig.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "event=reloaded" in ig.log(),
                   what="the reload")
        before = len(recv.accepted())
        r = ig.cli("sink", "test")  # the command reads the file as it is now
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("signed with 1 secret", r.stdout)
        link_alice(self, self.fg, ig)  # relinked: its imports go out with the new secret alone
        self.fg.post_media(self.acct["id"], "Udon #eatdifferent")
        fetch_and_wait(self, ig, self.fg)
        later = wait_until(lambda: [r for r in recv.accepted()[before:]
                                    if json.loads(r["body"])["type"] in ("media.imported",
                                                                         "test")],
                           what="a delivery after the reload")
        self.assertEqual({json.loads(r["body"])["type"] for r in later},
                         {"media.imported", "test"})
        for req in later:
            self.assertEqual(len(req["headers"]["webhook-signature"].split(" ")), 1)
            self.assertTrue(verify_standard_webhook(new, req)[0])
            self.assertFalse(verify_standard_webhook(old, req)[0])
        self.assertEqual(dead(ig), [])

    def test_sink_test(self):
        secret = whsec()
        recv = self.track(Receiver(path="/hooks/igbridge"))
        ig = self.daemon([secret], recv)
        r = ig.cli("sink", "test")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("HTTP 200", r.stdout)
        [req] = recv.requests
        ok, payload = verify_standard_webhook(secret, req)
        self.assertTrue(ok, payload)
        self.assertEqual(payload["type"], "test")
        self.assertEqual(req["headers"]["webhook-id"].split(":")[0], "test")
        self.assertIn("message", payload["data"])

        # A host that verifies with another secret refuses: the key is named.
        other = whsec()
        strict = self.track(Receiver(path="/hooks/igbridge",
                                     check=lambda h, b: verify_standard_webhook(
                                         other, {"headers": h, "body": b})[0]))
        ig.sections["sink"]["url"] = strict.url
        ig.write_config()
        r = ig.cli("sink", "test")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("HTTP 401", r.stdout)
        self.assertIn("sink.secret_file", r.stderr)
        self.assertNotIn(secret, r.stdout + r.stderr)


class Micropub(DaemonTest):
    def setUp(self):
        super().setUp()
        node_modules()

    def daemon(self, url, token, **sink):
        self.fg = self.track(Fakegram("graph"))
        ig = Igbridge(self.fg, sink={"type": "micropub", "url": url, "token_file": "",
                                     "retry_schedule_s": [1, 1, 1], **sink})
        ig.sections["sink"]["token_file"] = write_file(ig, "micropub_token", token + "\n")
        ig.write_config()
        self.acct = self.fg.account("alice.cooks")
        return self.track(ig)

    def test_create_taken_by_micropub_express_and_its_location_kept(self):
        token = "mp-" + secrets.token_hex(8)
        server = self.track(NodeServer("micropub_server.js", token))
        ig = self.daemon(server.base + "/micropub", token).start()
        caption = "Bibimbap #eatdifferent #korean"
        mid = self.fg.post_media(self.acct["id"], caption)
        link_alice(self, self.fg, ig)
        docs = wait_until(lambda: request("GET", server.base + "/_documents").json(),
                          what="a created document")
        self.assertEqual(len(docs), 1)
        doc = docs[0]
        self.assertEqual(doc["type"], ["h-entry"])
        self.assertEqual(doc["properties"]["content"], [caption])
        self.assertEqual(doc["properties"]["category"], ["eatdifferent", "korean"])
        # Its server has no media endpoint: the stored image went as a file.
        [photo] = doc["files"]["photo"]
        self.assertGreater(photo["bytes"], 0)
        self.assertEqual(pending(ig), [])
        ig.stop()
        record = stored_imports(ig)[("alice", mid)]
        self.assertEqual(record["location"], server.base + "/posts/1")

    def test_update_delete_and_account_events(self):
        token = "mp-" + secrets.token_hex(8)
        events_secret = whsec()
        spec = self.track(MicropubSpecReceiver(token))
        events = self.track(Receiver(path="/igbridge/events"))
        ig = self.daemon(spec.url, token, concurrency=1, events_url=events.url,
                         events_secret_file="")
        ig.sections["sink"]["events_secret_file"] = write_file(ig, "events", events_secret)
        ig.write_config()
        ig.start()
        mid = self.fg.post_media(self.acct["id"], "Pho #eatdifferent #soup")
        link_alice(self, self.fg, ig)
        [(action, created)] = spec.requests
        self.assertEqual(action, "create")
        self.assertEqual(created["properties"]["photo"], [spec.base + "/files/1"])  # uploaded
        [post_url] = spec.posts
        ig.stop()
        record_id = "instagram:" + mid
        base = {"id": record_id, "user": "alice", "instagram_user_id": self.acct["id"],
                "media_id": mid, "permalink": f"{self.fg.base}/p/{mid}"}
        # As the producer queues them (DESIGN §9), in commit order.
        queue_event(ig, "media.updated", f"media.updated:{mid}:1",
                    dict(base, caption="Pho #eatdifferent", tags=["eatdifferent"],
                         media_type="IMAGE",
                         previous={"caption": "Pho #eatdifferent #soup",
                                   "tags": ["eatdifferent", "soup"]}))
        queue_event(ig, "account.needs_relink", "account.needs_relink:alice:1",
                    {"user": "alice", "instagram_user_id": self.acct["id"],
                     "username": "alice.cooks", "at": "2026-01-01T00:00:00Z",
                     "reason": "permissions", "permission": "instagram_business_basic"})
        queue_event(ig, "media.deleted", f"media.deleted:{mid}",
                    dict(base, deleted_at="2026-01-01T00:00:00Z"))
        # A post this sink never created: no URL to name, skipped.
        queue_event(ig, "media.deleted", "media.deleted:999",
                    {"id": "instagram:999", "user": "alice", "media_id": "999",
                     "instagram_user_id": self.acct["id"], "permalink": "x",
                     "deleted_at": "2026-01-01T00:00:00Z"})
        ig.start()
        relink = lambda: [r for r in events.accepted()
                          if r["headers"]["webhook-id"] == "account.needs_relink:alice:1"]
        wait_until(lambda: len(spec.requests) == 3 and relink(), timeout=20,
                   what="the update, the delete and the account event")
        settle(ig)
        (_, update), (_, delete) = spec.requests[1:]
        # W3C Micropub §3.3 / §3.4, on the URL the create answered.
        self.assertEqual(update, {"action": "update", "url": post_url,
                                  "replace": {"content": ["Pho #eatdifferent"],
                                              "category": ["eatdifferent"]}})
        self.assertEqual(delete, {"action": "delete", "url": post_url})
        self.assertIsNone(spec.posts[post_url])
        [req] = relink()
        ok, payload = verify_standard_webhook(events_secret, req)
        self.assertTrue(ok, payload)
        self.assertEqual(payload["type"], "account.needs_relink")
        self.assertEqual(payload["data"]["reason"], "permissions")
        self.assertEqual(pending(ig), [])
        self.assertEqual(dead(ig), [])
        self.assertIn("micropub.skipped", ig.log())
        self.assertNotIn(token, ig.log())

    def test_sink_test(self):
        token = "mp-" + secrets.token_hex(8)
        server = self.track(NodeServer("micropub_server.js", token))
        ig = self.daemon(server.base + "/micropub", token)
        r = ig.cli("sink", "test")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("HTTP 200", r.stdout)
        self.assertIn("sink.events_url is not set", r.stdout)
        self.assertEqual(request("GET", server.base + "/_documents").json(), [])  # no post

        # A token the server refuses: the key to fix is named.
        write_file(ig, "micropub_token", "wrong\n")
        r = ig.cli("sink", "test")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("sink.token_file", r.stderr)

        # With an events endpoint the test event goes there, signed.
        write_file(ig, "micropub_token", token + "\n")
        secret = whsec()
        events = self.track(Receiver(path="/igbridge/events"))
        ig.sections["sink"].update(events_url=events.url,
                                   events_secret_file=write_file(ig, "events", secret))
        ig.write_config()
        r = ig.cli("sink", "test")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        [req] = events.requests
        ok, payload = verify_standard_webhook(secret, req)
        self.assertTrue(ok, payload)
        self.assertEqual(payload["type"], "test")


class FromTheProvider(DaemonTest):
    """End to end from fakegram, against the contract (DESIGN §9)."""

    def test_caption_edit_reaches_every_sink(self):
        node_modules()
        token, secret = "mp-" + secrets.token_hex(8), whsec()
        spec = self.track(MicropubSpecReceiver(token))
        hooks = self.track(Receiver(path="/hooks/igbridge"))
        fg = self.track(Fakegram("graph"))
        acct = fg.account("alice.cooks")
        mid = fg.post_media(acct["id"], "Laksa #eatdifferent #soup")
        daemons = {}
        for kind in ("jsonl", "webhook", "micropub"):
            ig = Igbridge(fg)
            if kind == "webhook":
                ig.sections["sink"] = {"type": "webhook", "url": hooks.url,
                                       "secret_file": write_file(ig, "w", secret)}
            elif kind == "micropub":
                ig.sections["sink"] = {"type": "micropub", "url": spec.url,
                                       "token_file": write_file(ig, "t", token)}
            ig.write_config()
            daemons[kind] = self.track(ig).start()
            link_alice(self, fg, ig)
        fg.edit_caption(acct["id"], mid, "Laksa #eatdifferent")
        for ig in daemons.values():
            fetch_and_wait(self, ig, fg)
        [line] = [l for l in daemons["jsonl"].imports() if l["type"] == "media.updated"]
        self.assertEqual(line["id"], "instagram:" + mid)
        self.assertNotEqual(line["event_id"], line["id"])
        self.assertEqual(line["caption"], "Laksa #eatdifferent")
        self.assertEqual(line["previous"]["caption"], "Laksa #eatdifferent #soup")
        [req] = [r for r in hooks.accepted() if json.loads(r["body"])["type"] == "media.updated"]
        ok, payload = verify_standard_webhook(secret, req)
        self.assertTrue(ok, payload)
        self.assertEqual(payload["data"]["id"], "instagram:" + mid)
        self.assertNotEqual(req["headers"]["webhook-id"], "instagram:" + mid)
        [post_url] = spec.posts
        self.assertIn(("update", {"action": "update", "url": post_url,
                                  "replace": {"content": ["Laksa #eatdifferent"],
                                              "category": ["eatdifferent"]}}), spec.requests)

    def test_deleted_post_reaches_every_sink(self):
        node_modules()
        token, secret = "mp-" + secrets.token_hex(8), whsec()
        spec = self.track(MicropubSpecReceiver(token))
        hooks = self.track(Receiver(path="/hooks/igbridge"))
        fg = self.track(Fakegram("graph"))
        acct = fg.account("alice.cooks")
        mid = fg.post_media(acct["id"], "Gone soon #eatdifferent")
        jsonl = self.track(Igbridge(fg)).start()
        mp = Igbridge(fg)
        mp.sections["sink"] = {"type": "micropub", "url": spec.url,
                               "token_file": write_file(mp, "t", token)}
        mp.write_config()
        self.track(mp).start()
        wh = Igbridge(fg)
        wh.sections["sink"] = {"type": "webhook", "url": hooks.url,
                               "secret_file": write_file(wh, "w", secret)}
        wh.write_config()
        self.track(wh).start()
        for ig in (jsonl, mp, wh):
            link_alice(self, fg, ig)
        # Its stored copy is served until the post is deleted.
        [imported] = wait_until(lambda: [l for l in media_records(jsonl) if l.get("media")],
                                what="the import with its stored media")
        files = [m["url"] for m in imported["media"]]
        self.assertTrue(files)
        for url in files:
            self.assertEqual(get(url).status, 200, url)
        r = request("DELETE", f"{fg.base}/_fake/accounts/{acct['id']}/media/{mid}")
        self.assertEqual(r.status, 200, r.body)
        for ig in (jsonl, mp, wh):
            fetch_and_wait(self, ig, fg)
        # Confirmed with GET /{media-id} after the fetch, then delivered.
        deleted = lambda: [l for l in jsonl.imports() if l["type"] == "media.deleted"]
        [line] = wait_until(deleted, what="media.deleted in the JSONL sink")
        self.assertEqual((line["id"], line["media_id"]), ("instagram:" + mid, mid))
        # No other import references its files: they are gone.
        for url in files:
            wait_until(lambda: get(url).status == 404, what=f"{url} released")
        [req] = wait_until(lambda: [r for r in hooks.accepted()
                                    if json.loads(r["body"])["type"] == "media.deleted"],
                           what="media.deleted at the Standard Webhooks sink")
        ok, payload = verify_standard_webhook(secret, req)
        self.assertTrue(ok, payload)
        self.assertEqual((payload["data"]["id"], payload["data"]["media_id"]),
                         ("instagram:" + mid, mid))
        [post_url] = spec.posts
        wait_until(lambda: spec.requests[-1][0] == "delete", what="the Micropub delete")
        self.assertEqual(spec.requests[-1], ("delete", {"action": "delete", "url": post_url}))
        # Once only: later fetches find it deleted already.
        fetch_and_wait(self, jsonl, fg)
        time.sleep(1)
        self.assertEqual(len(deleted()), 1)

    def test_post_beyond_the_pages_fetched_is_not_taken_for_deleted(self):
        fg = self.track(Fakegram("graph"))
        acct = fg.account("alice.cooks")
        now = int(time.time())
        old = fg.post_media(acct["id"], "Older #eatdifferent", created_time=now - 600)
        ig = self.track(Igbridge(fg, import_overrides={"update_count": 2})).start()
        link_alice(self, fg, ig)
        # Three newer posts push the old one to page 2 of an update fetch
        # (2 per page); one of them is deleted, so the listing lacks a post.
        newer = [fg.post_media(acct["id"], f"New {i} #eatdifferent", created_time=now - 300 + i)
                 for i in range(3)]
        fetch_and_wait(self, ig, fg)
        r = request("DELETE", f"{fg.base}/_fake/accounts/{acct['id']}/media/{newer[0]}")
        self.assertEqual(r.status, 200, r.body)
        fetch_and_wait(self, ig, fg)
        deleted = lambda: [l["media_id"] for l in ig.imports() if l["type"] == "media.deleted"]
        wait_until(deleted, what="media.deleted of the deleted post")
        time.sleep(1)
        self.assertEqual(deleted(), [newer[0]])
        self.assertNotIn(old, deleted())


class AccountLife(DaemonTest):
    """Must-show 3: link, admin unlink, revoke, deauthorize and data deletion
    each reach the host once, as account events, in commit order with the
    user's media events, across a kill -9 between commit and delivery; after
    a data deletion nothing else of the user goes."""

    def test_account_events_in_order_once_across_kill9(self):
        hooks = self.track(Receiver(default_status=500, path="/hooks/igbridge"))
        port = free_port()
        fg = self.track(Fakegram(
            "graph", deauthorize_url=f"http://127.0.0.1:{port}/hooks/instagram/deauthorize",
            data_deletion_url=f"http://127.0.0.1:{port}/hooks/instagram/data-deletion"))
        ig = Igbridge(fg, port=port)
        ig.sections["sink"] = {"type": "webhook", "url": hooks.url,
                               "secret_file": write_file(ig, "w", whsec()),
                               "retry_schedule_s": [1] * 30, "concurrency": 4}
        ig.write_config()
        self.track(ig).start()
        acct = fg.account("alice.cooks")
        mid = fg.post_media(acct["id"], "Dal #eatdifferent")

        def relink():
            # The new link's own first fetch, answered before the test
            # revokes or deauthorizes: otherwise it may fail on the revoked
            # token and add a needs_relink of its own.
            before = fg.media_calls()
            self.assertIn("instagram=connected", ig.link("alice", "alice.cooks"))
            wait_until(lambda: fg.media_calls() > before and ig.user_json("alice")["last_fetch_at"],
                       what="the new link's first fetch")

        def state_is(want):
            wait_until(lambda: ig.user_json("alice")["state"] == want, timeout=20,
                       what="alice " + want)

        # Every delivery fails meanwhile: all of it is committed, none delivered.
        relink()
        r = ig.cli("users", "disconnect", "alice")
        self.assertEqual(r.returncode, 0, r.stderr)
        relink()
        fg.revoke(acct["id"])
        self.assertEqual(ig.fetch_now("alice").status, 202)
        state_is("reauth_required")
        relink()
        self.assertEqual(fg.deauthorize(acct["id"])["status"], 200)
        state_is("unlinked")
        self.assertEqual(hooks.accepted(), [])
        ig.kill9()
        hooks.default_status = 200
        ig.start()

        def alice_events():
            return [(json.loads(q["body"]), q["headers"]["webhook-id"]) for q in hooks.accepted()
                    if json.loads(q["body"])["data"].get("user") == "alice"]
        want = ["account.linked", "media.imported", "account.unlinked", "account.linked",
                "account.needs_relink", "link.revoked", "account.linked", "account.unlinked",
                "link.revoked"]
        wait_until(lambda: len(alice_events()) >= len(want), timeout=30,
                   what="alice's events after the restart")
        settle(ig)
        got = alice_events()
        self.assertEqual([p["type"] for p, _ in got], want)
        ids = [i for _, i in got]
        self.assertEqual(len(ids), len(set(ids)), "an event delivered twice")
        by_type = {}
        for p, _ in got:
            by_type.setdefault(p["type"], []).append(p["data"])
        self.assertEqual([d["by"] for d in by_type["account.unlinked"]], ["admin", "deauthorize"])
        [relink_ev] = by_type["account.needs_relink"]
        self.assertEqual(relink_ev["reason"], "revoked")
        for d in by_type["account.linked"]:
            self.assertEqual((d["user"], d["instagram_user_id"], d["username"]),
                             ("alice", acct["id"], "alice.cooks"))
        self.assertEqual(by_type["media.imported"][0]["media_id"], mid)

        # A data deletion: the user's undelivered events go, account.deleted alone.
        relink()
        wait_until(lambda: len(alice_events()) >= len(want) + 1, what="the new link's event")
        hooks.default_status = 500
        fg.post_media(acct["id"], "Dosa #eatdifferent")
        self.assertEqual(ig.fetch_now("alice").status, 202)
        wait_until(lambda: any(json.loads(q["body"])["type"] == "media.imported"
                               and json.loads(q["body"])["data"]["caption"].startswith("Dosa")
                               for q in hooks.requests), what="the new post tried")
        sent = fg.data_deletion(acct["id"])
        self.assertEqual(sent["status"], 200, sent)
        answer = json.loads(sent["body"]) if isinstance(sent["body"], str) else sent["body"]
        before = len(alice_events())
        hooks.default_status = 200
        wait_until(lambda: len(alice_events()) > before, timeout=20, what="account.deleted")
        settle(ig)
        time.sleep(1.5)
        after = alice_events()[before:]
        self.assertEqual([p["type"] for p, _ in after], ["account.deleted"])
        self.assertEqual(after[0][0]["data"]["confirmation_code"], answer["confirmation_code"])
        self.assertEqual(pending(ig), [])
        self.assertEqual(dead(ig), [])


class Backfill(DaemonTest):
    """Must-show 5: rules changed to a tag 40 of 300 old posts carry: exactly
    those (since honoured) arrive, none twice even with seen_keep = 50 and a
    second walk; a Business Use Case limit (fractional regain_minutes)
    pauses the walk, which then resumes."""

    def test_rules_change_walks_history_once(self):
        fg = self.track(Fakegram("graph"))
        acct = fg.account("alice.cooks")
        now = int(time.time())
        start = now - 300 * 3600
        curry = {}
        for i in range(300):
            t = start + i * 3600
            if i % 7 == 3 and len(curry) < 40:
                curry[fg.post_media(acct["id"], f"Curry {i} #curry", created_time=t)] = t
            else:
                fg.post_media(acct["id"], f"Lunch {i} #ed", created_time=t)
        self.assertEqual(len(curry), 40)
        ig = self.track(Igbridge(fg, import_overrides={"poll": False, "seen_keep": 50})).start()
        link_alice(self, fg, ig)
        first = {r["media_id"] for r in media_records(ig)}
        self.assertEqual(len(first), 20)  # import.initial_count, all #ed

        # `since`: the day of the 5th curry post; the earlier ones stay out.
        ordered = sorted(curry.items(), key=lambda kv: kv[1])
        since_day = time.strftime("%Y-%m-%d", time.gmtime(ordered[4][1]))
        since_ts = calendar.timegm(time.strptime(since_day, "%Y-%m-%d"))
        want = {m for m, t in curry.items() if t >= since_ts}
        self.assertLess(len(want), 40)
        fg.faults(rate_limit="buc", account=acct["id"], regain_minutes=0.05, hold=True)
        r = request("PUT", f"{ig.admin}/users/alice/rules",
                    body={"tags": ["curry"], "since": since_day}, headers=ig.auth())
        self.assertEqual(r.status, 200, r.body)
        done = wait_until(lambda: (lambda b: b if b and b["state"] == "done" else None)(
            ig.user_json("alice")["backfill"]), timeout=60, what="the backfill done")
        self.assertIn("backfill.paused", ig.log())
        self.assertIn("backfill.resumed", ig.log())
        self.assertEqual(done["imported"], len(want))
        settle(ig)
        got = [r["media_id"] for r in media_records(ig) if r["media_id"] not in first]
        self.assertEqual(sorted(got), sorted(want))

        # Again, from the CLI with no --since: the rules' own since still
        # holds, and nothing is imported twice.
        r = ig.cli("users", "backfill", "alice")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        wait_until(lambda: (lambda b: b["state"] == "done" and b["started_at"] != done["started_at"])(
            ig.user_json("alice")["backfill"]), timeout=60, what="the second backfill done")
        settle(ig)
        got = [r["media_id"] for r in media_records(ig) if r["media_id"] not in first]
        self.assertEqual(len(got), len(set(got)), "a post imported twice")
        self.assertEqual(set(got), want)
        self.assertEqual(ig.user_json("alice")["backfill"]["scanned"], 300)


if __name__ == "__main__":
    unittest.main(verbosity=2)
