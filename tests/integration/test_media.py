"""Media the host keeps (DESIGN §8): each import's files are downloaded and
stored content-addressed before delivery, served by igbridge after
Instagram's URLs expired, retried with the delivery schedule, and removed
with the user's data; per-user rules; Micropub uploads. Outages longer than
a CDN URL lives, and dead letters replayed after it, read the post again
for fresh URLs (DESIGN §9 "Media re-read")."""

import base64
import hashlib
import json
import os
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import (DaemonTest, Fakegram, Igbridge, Receiver, free_port, get, post, request,
                     wait_until)
from pipeline import dead, fetch_and_wait


def sha(b):
    return hashlib.sha256(b).hexdigest()


def media_imports(ig, media_id=None):
    return [x for x in ig.imports()
            if x.get("type", "media.imported") == "media.imported"
            and (media_id is None or x["media_id"] == media_id)]


def media_dir(ig):
    return os.path.join(ig.dir, "db", "media")


class StoredCopies(DaemonTest):
    def start(self, **fg_kw):
        self.fg = self.track(Fakegram("graph", **fg_kw))
        self.ig = self.track(Igbridge(self.fg, import_overrides={"poll_tiers_s": [1]}))
        self.ig.start()
        self.acct = self.fg.account("alice.cooks")
        self.ig.link("alice", "alice.cooks")
        wait_until(lambda: self.ig.user_json("alice")["last_fetch_at"], what="initial fetch")

    def imported(self, media_id, timeout=30):
        return wait_until(lambda: media_imports(self.ig, media_id), timeout=timeout,
                          what=f"import of {media_id}")[0]

    def test_served_after_instagram_url_expired(self):
        self.start(media_url_ttl_s=5)
        mid = self.fg.post_media(self.acct["id"], "Lentil soup #ed")
        rec = self.imported(mid)
        files = self.fg.media(self.acct["id"], mid)["files"]
        self.assertEqual(len(rec["media"]), 1)
        m = rec["media"][0]
        self.assertEqual(m["type"], "IMAGE")
        self.assertEqual(m["sha256"], files[0]["sha256"])
        self.assertEqual(m["bytes"], files[0]["bytes"])
        self.assertTrue(m["url"].startswith(self.ig.public + "/media/" + m["sha256"] + "."), m)
        self.assertEqual(rec["media_url"][:len(self.fg.base)], self.fg.base)  # kept as received
        time.sleep(6)
        self.assertEqual(get(rec["media_url"]).status, 403)  # Instagram's URL has expired
        r = get(m["url"])
        self.assertEqual(r.status, 200)
        self.assertEqual(sha(r.body), files[0]["sha256"])
        self.assertEqual(r.header("Content-Type"), m["content_type"])
        self.assertEqual(r.header("ETag"), '"' + m["sha256"] + '"')
        self.assertIn("immutable", r.header("Cache-Control"))
        # Range, for video players
        part = get(m["url"], headers={"Range": "bytes=0-9"})
        self.assertEqual(part.status, 206)
        self.assertEqual(part.body, r.body[:10])
        self.assertEqual(part.header("Content-Range"), f"bytes 0-9/{len(r.body)}")
        self.assertEqual(get(m["url"], headers={"Range": f"bytes={len(r.body)}-"}).status, 416)
        # Nothing but stored names reaches the file system.
        for bad in ("/media/../db/data.mdb", "/media/%2e%2e%2fdata.mdb", "/media/x.png",
                    "/media/" + m["sha256"] + ".svg", "/media/" + m["sha256"].upper() + ".png"):
            self.assertEqual(get(self.ig.public + bad).status, 404, bad)

    def test_carousel_and_video(self):
        self.start()
        car = self.fg.post_media(self.acct["id"], "Three plates #ed", media_type="CAROUSEL_ALBUM",
                                 children=3)
        vid = self.fg.post_media(self.acct["id"], "Stirring #ed", media_type="VIDEO")
        rec = self.imported(car)
        files = [f for f in self.fg.media(self.acct["id"], car)["files"]]
        self.assertEqual([m["sha256"] for m in rec["media"]], [f["sha256"] for f in files])
        self.assertEqual([m["type"] for m in rec["media"]], ["IMAGE"] * 3)
        for m in rec["media"]:
            self.assertEqual(sha(get(m["url"]).body), m["sha256"])
        rec = self.imported(vid)
        self.assertEqual([m["type"] for m in rec["media"]], ["VIDEO", "IMAGE"])
        self.assertEqual(rec["media"][0]["content_type"], "video/mp4")
        by_kind = {f["kind"]: f["sha256"] for f in self.fg.media(self.acct["id"], vid)["files"]}
        self.assertEqual(rec["media"][0]["sha256"], by_kind["video"])
        self.assertEqual(rec["media"][1]["sha256"], by_kind["thumbnail"])

    def test_failed_downloads_retried_and_nothing_delivered_before(self):
        self.start()
        self.fg.faults(target="cdn", status=500, count=2)
        mid = self.fg.post_media(self.acct["id"], "Flatbread #ed")
        rec = self.imported(mid, timeout=40)
        self.assertEqual(len(rec["media"]), 1)
        self.assertGreaterEqual(self.fg.cdn_calls(), 3)
        time.sleep(2)
        self.assertEqual(len(media_imports(self.ig, mid)), 1)  # delivered once, with its media
        m = self.ig.metrics_text()
        self.assertIn('igbridge_media_downloads_total{result="failed"} 2', m)


class CrashDuringDownloads(DaemonTest):
    def test_kill9_during_downloads(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg, import_overrides={"poll_tiers_s": [1]})).start()
        acct = fg.account("alice.cooks")
        ig.link("alice", "alice.cooks")
        wait_until(lambda: ig.user_json("alice")["last_fetch_at"], what="initial fetch")
        fg.faults(target="cdn", delay_ms=1500, count=4)  # slow downloads to be killed in
        ids = [fg.post_media(acct["id"], f"Plate {i} #ed", media_type="VIDEO") for i in range(3)]
        wait_until(lambda: fg.cdn_calls() >= 1, timeout=20, what="downloads under way")
        time.sleep(0.5)
        ig.kill9()
        ig.start()
        wait_until(lambda: {x["media_id"] for x in media_imports(ig)} >= set(ids), timeout=60,
                   what="every import delivered after the restart")
        for x in media_imports(ig):
            self.assertEqual(len(x["media"]), 2, x)
            for m in x["media"]:
                self.assertEqual(sha(get(m["url"]).body), m["sha256"])
        for name in os.listdir(media_dir(ig)):
            self.assertFalse(name.startswith(".tmp-"), "leftover temp file after restart")
            with open(os.path.join(media_dir(ig), name), "rb") as f:
                self.assertEqual(sha(f.read()), name.split(".")[0], name)


def rereads(fg, media_id):
    """Times fakegram was asked for the post `media_id` (GET /{media-id})."""
    return fg.calls("GET /" + media_id)


def stored_like_fakegram(test, fg, acct, rec):
    """Every file of the record is the one fakegram serves, and igbridge serves it."""
    files = fg.media(acct["id"], rec["media_id"])["files"]
    test.assertEqual([m["sha256"] for m in rec["media"]], [f["sha256"] for f in files], rec)
    for m in rec["media"]:
        test.assertEqual(sha(get(m["url"]).body), m["sha256"])


class ExpiredUrls(DaemonTest):
    """fakegram's CDN URLs live 5 s here: every outage below outlasts them."""

    OUTAGE_S = 10

    def test_outages_longer_than_a_url_lives(self):
        secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
        recv = self.track(Receiver(200, path="/hooks/igbridge"))
        self.fg = fg = self.track(Fakegram("graph", media_url_ttl_s=5))
        ig = Igbridge(fg, import_overrides={"poll_tiers_s": [1]},
                      sink={"type": "webhook", "url": recv.url, "retry_schedule_s": [2] * 12,
                            "concurrency": 4, "timeout_s": 5})
        ig.write_secret("sink_secret", secret)
        ig.sections["sink"]["secret_file"] = ig.secret_path("sink_secret")
        ig.write_config()
        self.track(ig).start()
        acct = fg.account("alice.cooks")
        ig.link("alice", "alice.cooks")
        wait_until(lambda: ig.user_json("alice")["last_fetch_at"], what="initial fetch")

        def arrived(mid):
            for r in recv.accepted():
                data = json.loads(r["body"])["data"]
                if data.get("media_id") == mid:
                    return data
            return None

        # The CDN fails for 10 s: the URLs the fetch listed are dead by then.
        fg.faults(target="cdn", status=503, count=1000000)
        ids = [fg.post_media(acct["id"], "Soup #ed"),
               fg.post_media(acct["id"], "Stirring #ed", media_type="VIDEO"),
               fg.post_media(acct["id"], "Plates #ed", media_type="CAROUSEL_ALBUM", children=3)]
        t0 = time.time()
        wait_until(lambda: fg.cdn_calls() >= 4, timeout=10, what="downloads failing")
        time.sleep(max(0, t0 + self.OUTAGE_S - time.time()))
        fg.faults(target="cdn", count=0)
        for mid in ids:
            rec = wait_until(lambda: arrived(mid), timeout=30, what=f"import of {mid}")
            stored_like_fakegram(self, fg, acct, rec)
            self.assertGreaterEqual(rereads(fg, mid), 1, mid)
        self.assertEqual(dead(ig), [])

        # A URL the CDN refuses (403/404/410) is read again at once.
        fg.faults(target="cdn", status=404, count=1)
        mid = fg.post_media(acct["id"], "Flatbread #ed")
        rec = wait_until(lambda: arrived(mid), timeout=15, what="import after a 404")
        stored_like_fakegram(self, fg, acct, rec)
        self.assertEqual(rereads(fg, mid), 1)

        # The sink is down for 10 s: the import goes once it is back, with its media.
        recv.default_status = 503
        mid = fg.post_media(acct["id"], "Lentils #ed")
        t0 = time.time()
        wait_until(lambda: any(r["status"] == 503 for r in recv.requests), timeout=10,
                   what="the sink refusing")
        time.sleep(max(0, t0 + self.OUTAGE_S - time.time()))
        recv.default_status = 200
        rec = wait_until(lambda: arrived(mid), timeout=30, what="import after the sink outage")
        stored_like_fakegram(self, fg, acct, rec)
        self.assertEqual(len([r for r in recv.accepted()
                              if json.loads(r["body"])["data"].get("media_id") == mid]), 1)

    def test_replayed_dead_letter_reads_its_media_again(self):
        fg = self.track(Fakegram("graph", media_url_ttl_s=5))
        ig = self.track(Igbridge(fg, import_overrides={"poll_tiers_s": [1]})).start()
        acct = fg.account("alice.cooks")
        ig.link("alice", "alice.cooks")
        wait_until(lambda: ig.user_json("alice")["last_fetch_at"], what="initial fetch")
        fg.faults(target="cdn", status=503, count=1000000)
        mid = fg.post_media(acct["id"], "Dumplings #ed")
        letter = wait_until(lambda: dead(ig), timeout=30, what="a dead letter")[0]
        self.assertEqual(letter["record_id"], "instagram:" + mid)
        fg.faults(target="cdn", count=0)
        time.sleep(6)  # its URL has expired
        before = rereads(fg, mid)
        r = ig.cli("outbox", "replay", letter["id"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rec = wait_until(lambda: media_imports(ig, mid), timeout=20, what="the replayed import")[0]
        stored_like_fakegram(self, fg, acct, rec)
        self.assertEqual(rereads(fg, mid), before + 1)
        self.assertEqual(dead(ig), [])


class Rules(DaemonTest):
    def test_user_rules_from_the_cli(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg, import_overrides={"poll_tiers_s": [1]})).start()
        a = fg.account("ann.cooks")
        b = fg.account("bob.cooks")
        ig.link("ann", "ann.cooks")
        ig.link("bob", "bob.cooks")
        out = ig.cli("users", "rules", "ann", "--tags", "soup", "--block", "", check=True)
        self.assertIn("soup", out.stdout)
        rules = get(ig.admin + "/users/ann/rules", headers=ig.auth()).json()
        self.assertEqual((rules["tags"], rules["source"]), (["soup"], "user"))
        self.assertEqual(ig.user_json("ann")["rules"]["tags"], ["soup"])
        ids = {(who, tag): fg.post_media(acct["id"], f"Dinner #{tag}")
               for who, acct in (("ann", a), ("bob", b)) for tag in ("soup", "ed")}
        wait_until(lambda: {x["media_id"] for x in media_imports(ig)} >= {ids["ann", "soup"],
                                                                          ids["bob", "ed"]},
                   timeout=30, what="imports by rules")
        time.sleep(3)
        got = {x["media_id"] for x in media_imports(ig)}
        self.assertNotIn(ids["ann", "ed"], got)
        self.assertNotIn(ids["bob", "soup"], got)

    def test_require_since_and_until(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg)).start()
        a = fg.account("ann.cooks")
        ig.link("ann", "ann.cooks")
        url = ig.admin + "/users/ann/rules"
        for bad in ({"tags": ["ed"], "since": "2026-02-30"}, {"tags": ["ed"], "until": "soon"},
                    {"tags": ["ed"], "require": "dinner"},
                    {"tags": ["ed"], "since": "2026-03-02", "until": "2026-03-01"}):
            r = request("PUT", url, body=bad, headers=ig.auth())
            self.assertEqual(r.status, 400, (bad, r.body))
        self.assertEqual(get(url, headers=ig.auth()).json()["source"], "global")
        r = request("PUT", url, body={"tags": ["ed"], "require": ["#Dinner"],
                                      "since": "2026-03-01", "until": "2026-03-31"},
                    headers=ig.auth())
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual((r.json()["require"], r.json()["since"], r.json()["until"]),
                         (["dinner"], "2026-03-01", "2026-03-31"))
        march = 1772323200 + 86400 * 10  # 2026-03-11
        ids = {name: fg.post_media(a["id"], caption, created_time=t) for name, caption, t in (
            ("in", "Stew #ed #dinner", march),
            ("last_day", "Soup #ed #dinner", 1774915200 + 3600),  # 2026-03-31 01:00
            ("no_dinner", "Stew #ed", march + 60),
            ("april", "Pie #ed #dinner", 1774915200 + 86400 + 60))}
        fetch_and_wait(self, ig, fg, user="ann")
        got = {x["media_id"] for x in media_imports(ig)}
        self.assertEqual(got, {ids["in"], ids["last_day"]})


class Deletion(DaemonTest):
    def test_data_deletion_and_unlink_remove_unshared_files(self):
        port = free_port()
        fg = self.track(Fakegram("graph", data_deletion_url=f"http://127.0.0.1:{port}"
                                                            "/hooks/instagram/data-deletion"))
        ig = self.track(Igbridge(fg, port=port, import_overrides={"poll_tiers_s": [1]})).start()
        shared = fg.account("shared.kitchen")
        own = fg.account("carol.cooks")
        ig.link("ann", "shared.kitchen")
        ig.link("bob", "shared.kitchen")
        ig.link("carol", "carol.cooks")
        s_id = fg.post_media(shared["id"], "Shared soup #ed")
        c_id = fg.post_media(own["id"], "Carol's soup #ed")
        wait_until(lambda: len(media_imports(ig)) == 3, timeout=30, what="three imports")
        files = {x["user"]: x["media"][0]["sha256"] + "." + x["media"][0]["url"].rsplit(".", 1)[1]
                 for x in media_imports(ig)}
        path = lambda u: os.path.join(media_dir(ig), files[u])
        self.assertEqual(files["ann"], files["bob"])
        for u in files:
            self.assertTrue(os.path.exists(path(u)), u)

        r = fg.data_deletion(own["id"])
        self.assertEqual(r["status"], 200, r)
        wait_until(lambda: not os.path.exists(path("carol")), what="carol's file removed")
        self.assertEqual(get(ig.public + "/media/" + files["carol"]).status, 404)

        r = ig.cli("users", "disconnect", "ann", check=True)
        time.sleep(1)
        self.assertTrue(os.path.exists(path("bob")), "a file bob's import uses must stay")
        self.assertEqual(get(ig.public + "/media/" + files["bob"]).status, 200)
        self.assertEqual(c_id in {x["media_id"] for x in media_imports(ig)}, True)
        self.assertTrue(s_id)


class MicropubServer:
    """A Micropub endpoint with an optional media endpoint, as a blog has."""

    def __init__(self, media_endpoint=True):
        self.entries, self.uploads, self.lock = [], [], threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                body = {"media-endpoint": f"{outer.base}/media"} if media_endpoint else {}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                ctype = self.headers.get("Content-Type", "")
                with outer.lock:
                    if self.path == "/media":
                        outer.uploads.append((ctype, body))
                        loc = f"{outer.base}/files/{len(outer.uploads)}"
                    else:
                        outer.entries.append((ctype, body))
                        loc = f"{outer.base}/post/{len(outer.entries)}"
                self.send_response(201)
                self.send_header("Location", loc)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def multipart_names(ctype, body):
    boundary = ctype.split("boundary=", 1)[1].encode()
    names = []
    for part in body.split(b"--" + boundary):
        head = part.split(b"\r\n\r\n", 1)[0]
        if b'name="' in head:
            names.append(head.split(b'name="', 1)[1].split(b'"', 1)[0].decode())
    return names


class Micropub(DaemonTest):
    def run_with(self, media_endpoint):
        mp = MicropubServer(media_endpoint)
        self.addCleanup(mp.stop)
        fg = self.track(Fakegram("graph"))
        ig = Igbridge(fg, import_overrides={"poll_tiers_s": [1]},
                      sink={"type": "micropub", "url": mp.base + "/micropub",
                            "retry_schedule_s": [1, 1, 1]})
        ig.write_secret("mp_token", "mp-token")
        ig.sections["sink"]["token_file"] = ig.secret_path("mp_token")
        ig.write_config()
        self.track(ig).start()
        acct = fg.account("alice.cooks")
        ig.link("alice", "alice.cooks")
        fg.post_media(acct["id"], "Soup #ed")
        fg.post_media(acct["id"], "Stirring #ed", media_type="VIDEO")
        wait_until(lambda: len(mp.entries) == 2, timeout=40, what="two Micropub entries")
        return mp

    def test_with_media_endpoint(self):
        mp = self.run_with(True)
        self.assertEqual(len(mp.uploads), 3)  # image; video and its thumbnail
        for ctype, body in mp.uploads:
            self.assertEqual(multipart_names(ctype, body), ["file"])
        forms = [dict(x.split("=", 1) for x in body.decode().split("&"))
                 for ctype, body in mp.entries]
        self.assertTrue(all(c.startswith("application/x-www-form-urlencoded")
                            for c, _ in mp.entries))
        keys = set().union(*forms)
        self.assertTrue(any(k.startswith("video") for k in keys), keys)
        for f in forms:
            for k, v in f.items():
                if k.startswith(("photo", "video")):
                    self.assertIn("%2Ffiles%2F", v)  # the Locations the endpoint returned

    def test_without_media_endpoint(self):
        mp = self.run_with(False)
        self.assertEqual(mp.uploads, [])
        names = [multipart_names(c, b) for c, b in mp.entries]
        self.assertIn(["h", "content", "category[]", "published", "syndication", "photo[]"],
                      names)
        video = [n for n in names if "video[]" in n]
        self.assertEqual(len(video), 1, names)
        self.assertEqual(video[0].count("photo[]"), 1)  # the thumbnail is a photo; the video never


if __name__ == "__main__":
    unittest.main(verbosity=2)
