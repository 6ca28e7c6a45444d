"""Issue 5, must-show 3: the admin CLI (`igbridge users …`, `igbridge
outbox …`) against a running daemon, without and with an admin token; the
admin listener's auth; the refusal of a non-loopback admin listener without
a token."""

import base64
import json
import os
import secrets
import subprocess
import unittest

from harness import (IGBRIDGE, DaemonTest, Fakegram, Igbridge, Receiver, free_port, get,
                     request, to_toml, wait_until)
from pipeline import dead, fetches_ended, pending, wait_fetched


def run(config_path, *args):
    return subprocess.run([IGBRIDGE, *args, "-c", config_path], capture_output=True, text=True,
                          timeout=60)


def table_rows(stdout):
    """A printed table as a list of whitespace-split rows, header first."""
    return [line.split() for line in stdout.splitlines() if line.strip()]


def webhook_sink(ig, receiver):
    ig.write_secret("sink_secret", "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())
    return {"type": "webhook", "url": receiver.url, "secret_file": ig.secret_path("sink_secret"),
            "retry_schedule_s": [1, 1], "concurrency": 2}


class CliWithoutToken(DaemonTest):
    def setUp(self):
        super().setUp()
        self.rx = Receiver(default_status=500)
        self.addCleanup(self.rx.server.server_close)
        self.addCleanup(self.rx.stop)
        self.fg = self.track(Fakegram("graph"))
        self.ig = Igbridge(self.fg, import_overrides={"webhook_delay_s": 600})
        self.ig.sections["sink"] = webhook_sink(self.ig, self.rx)
        self.ig.write_config()
        self.track(self.ig).start()
        self.acct = self.fg.account("alice.cooks")
        self.mid = self.fg.post_media(self.acct["id"], "Soup #eatdifferent")
        final = self.ig.link("alice", "alice.cooks")
        self.assertIn("instagram=connected", final)
        wait_until(lambda: self.ig.user_json("alice")["last_fetch_at"], what="initial fetch")

    def test_users_list_table_and_json(self):
        r = self.ig.cli("users", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = table_rows(r.stdout)
        self.assertEqual(rows[0][:3], ["USER", "STATE", "USERNAME"])
        alice = [row for row in rows[1:] if row[0] == "alice"]
        self.assertEqual(len(alice), 1, r.stdout)
        self.assertEqual(alice[0][1:4], ["active", "alice.cooks", "1"])
        self.assertEqual(len(rows), 2, r.stdout)

        r = self.ig.cli("users", "list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        users = json.loads(r.stdout)["users"]
        self.assertEqual([u["user"] for u in users], ["alice"])
        self.assertEqual(users[0]["state"], "active")
        self.assertEqual(users[0]["instagram_user_id"], self.acct["id"])
        self.assertNotIn("token", users[0])

        r = self.ig.cli("users", "list", "--state", "unlinked", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["users"], [])

    def test_users_show(self):
        r = self.ig.cli("users", "show", "alice", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        u = json.loads(r.stdout)
        self.assertEqual(u, self.ig.user_json("alice"))
        self.assertEqual(u["username"], "alice.cooks")
        r = self.ig.cli("users", "show", "alice")
        self.assertEqual(r.returncode, 0, r.stderr)
        fields = {row[0]: row[1:] for row in table_rows(r.stdout)}
        self.assertEqual(fields["user"], ["alice"])
        self.assertEqual(fields["state"], ["active"])
        self.assertEqual(fields["instagram_user_id"], [self.acct["id"]])
        self.assertEqual(fields["next_fetch_at"], [u["next_fetch_at"]])

    def test_users_fetch(self):
        mid = self.fg.post_media(self.acct["id"], "Stew #ed")
        before = self.fg.media_calls()
        ended = fetches_ended(self.ig)
        r = self.ig.cli("users", "fetch", "alice")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("alice", r.stdout)
        wait_until(lambda: self.fg.media_calls() > before, what="a media fetch after the CLI")
        # the fetch runs to its end and imports the new post; the daemon stays ready
        wait_fetched(self.ig, "alice", ended, timeout=10)
        self.assertEqual(self.ig.user_json("alice")["imported"], 2)
        self.assertEqual(get(self.ig.admin + "/readyz").status, 200)
        r = self.ig.cli("users", "fetch", "alice")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(get(self.ig.admin + "/readyz").status, 200)

        def sent_new():
            return any(json.loads(q["body"])["data"].get("media_id") == mid
                       for q in list(self.rx.requests))
        # The first post's dead letter holds alice's later events (DESIGN §9)
        letter = wait_until(lambda: dead(self.ig), timeout=20, what="a dead letter")[0]
        held = get(self.ig.admin + "/status").json()["held_users"]
        self.assertIn("alice", held)
        self.assertFalse(sent_new())
        # until the operator drops it
        r = self.ig.cli("outbox", "drop", str(letter["id"]))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(dead(self.ig), [])
        wait_until(sent_new, what="delivery of the new post")

    def test_users_disconnect(self):
        r = self.ig.cli("users", "disconnect", "alice")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("unlinked", r.stdout)
        u = self.ig.user_json("alice")
        self.assertEqual(u["state"], "unlinked")
        self.assertFalse(u["linked"])
        r = self.ig.cli("users", "list", "--state", "unlinked", "--json")
        self.assertEqual([x["user"] for x in json.loads(r.stdout)["users"]], ["alice"])
        # nothing to fetch for an unlinked user
        r = self.ig.cli("users", "fetch", "alice")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not active", r.stderr)

    def test_unknown_user(self):
        for action in ("show", "fetch", "disconnect"):
            r = self.ig.cli("users", action, "nobody")
            self.assertEqual(r.returncode, 1, action)
            self.assertIn("unknown user", r.stderr, action)
            self.assertEqual(r.stdout, "", action)
        self.assertEqual(self.ig.user("nobody").status, 404)

    def test_outbox_list_and_replay(self):
        # 500, retry in 1 s, 500, retry in 1 s, 500: a dead letter
        letters = wait_until(lambda: dead(self.ig), timeout=20, what="a dead letter")
        self.assertEqual(len(letters), 1)
        letter = letters[0]
        self.assertEqual(letter["record_id"], "instagram:" + self.mid)
        self.assertEqual(sum(1 for q in self.rx.requests if q["status"] == 500), 3)

        r = self.ig.cli("outbox", "list")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = table_rows(r.stdout)
        self.assertEqual(rows[0][:4], ["ID", "TYPE", "RECORD", "USER"])
        self.assertEqual(len(rows), 2, r.stdout)
        self.assertEqual(rows[1][:4], [str(letter["id"]), "media.imported",
                                      "instagram:" + self.mid, "alice"])
        self.assertIn("HTTP 500", r.stdout)
        r = self.ig.cli("outbox", "list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        items = json.loads(r.stdout)["items"]
        self.assertEqual([i["record_id"] for i in items], ["instagram:" + self.mid])

        # the host is fixed; replay delivers it
        self.rx.default_status = 200
        r = self.ig.cli("outbox", "replay", str(letter["id"]))
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_until(lambda: any(q["status"] == 200 for q in self.rx.requests),
                   what="the replayed delivery")
        ok = [q for q in self.rx.requests if q["status"] == 200]
        self.assertEqual(json.loads(ok[0]["body"])["data"]["id"], "instagram:" + self.mid)
        wait_until(lambda: not pending(self.ig), what="outbox empty after the replay")
        self.assertEqual(dead(self.ig), [])
        r = self.ig.cli("outbox", "list", "--json")
        self.assertEqual(json.loads(r.stdout)["items"], [])
        # replaying it again (or anything unknown) is an error
        for bad in (str(letter["id"]), "999999", "abc"):
            r = self.ig.cli("outbox", "replay", bad)
            self.assertEqual(r.returncode, 1, bad)
            self.assertIn("unknown dead letter", r.stderr, bad)

    def test_daemon_down(self):
        self.ig.stop()
        r = self.ig.cli("users", "list")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not reachable", r.stderr)


class CliWithToken(DaemonTest):
    TOKEN = "s3cret"

    def setUp(self):
        super().setUp()
        self.fg = self.track(Fakegram("graph"))
        self.ig = self.track(Igbridge(self.fg, admin_token=self.TOKEN)).start()
        self.fg.account("alice.cooks")
        self.ig.link("alice", "alice.cooks")

    def config_with_token_file(self, name, token):
        """A copy of the daemon's config whose admin.token_file holds `token`
        (None: no token_file at all)."""
        sections = json.loads(json.dumps(self.ig.sections))
        if token is None:
            sections["admin"]["token_file"] = ""
        else:
            self.ig.write_secret(name, token)
            sections["admin"]["token_file"] = self.ig.secret_path(name)
        path = os.path.join(self.ig.dir, name + ".toml")
        with open(path, "w") as f:
            f.write(to_toml(sections))
        return path

    def test_cli_uses_the_token_file(self):
        r = self.ig.cli("users", "list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([u["user"] for u in json.loads(r.stdout)["users"]], ["alice"])
        r = self.ig.cli("users", "show", "alice")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.ig.cli("outbox", "list")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_wrong_or_missing_token_is_refused(self):
        for name, token in (("wrong", "not-" + self.TOKEN), ("none", None)):
            path = self.config_with_token_file(name + "_token", token)
            for args in (("users", "list"), ("users", "show", "alice"),
                         ("users", "disconnect", "alice"), ("outbox", "list")):
                r = run(path, *args)
                self.assertEqual(r.returncode, 1, (name, args, r.stdout))
                self.assertIn("refused", r.stderr, (name, args))
                self.assertEqual(r.stdout, "", (name, args))
                if token:
                    self.assertNotIn(token, r.stderr)
        # the refused disconnects did nothing
        self.assertEqual(self.ig.user_json("alice")["state"], "active")

    def test_raw_http_auth(self):
        base = self.ig.admin
        for path in ("/status", "/metrics", "/users", "/users/alice", "/outbox", "/readyz"):
            r = get(base + path)
            self.assertEqual(r.status, 401, path)
            r = get(base + path, headers={"Authorization": "Bearer wrong"})
            self.assertEqual(r.status, 401, path)
            r = get(base + path, headers={"Authorization": f"Bearer {self.TOKEN}"})
            self.assertEqual(r.status, 200, path)
        r = get(base + "/status")
        self.assertIn("Basic", r.header("WWW-Authenticate") or "")
        self.assertNotIn(self.TOKEN.encode(), r.body)

        def basic(user, password):
            cred = base64.b64encode(f"{user}:{password}".encode()).decode()
            return {"Authorization": "Basic " + cred, "Accept": "text/html"}

        for user in ("admin", "", "anyone"):
            r = get(base + "/status", headers=basic(user, self.TOKEN))
            self.assertEqual(r.status, 200, user)
            self.assertTrue(r.header("Content-Type").startswith("text/html"))
        for user, password in (("admin", "wrong"), (self.TOKEN, ""), ("admin", self.TOKEN + "x")):
            r = get(base + "/status", headers=basic(user, password))
            self.assertEqual(r.status, 401, (user, password))
        # a mutation without the token changes nothing
        r = self.ig.user("alice")
        self.assertEqual(r.status, 200)
        r = request("DELETE", base + "/users/alice")
        self.assertEqual(r.status, 401)
        self.assertEqual(self.ig.user_json("alice")["state"], "active")
        # the public listener needs no token
        self.assertEqual(get(self.ig.public + "/livez").status, 200)
        self.assertNotIn(self.TOKEN, self.ig.log())


class AdminListenerGuard(DaemonTest):
    def test_non_loopback_admin_needs_a_token(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg))
        ig.sections["admin"]["listen"] = f"0.0.0.0:{free_port()}"
        ig.sections["admin"]["token_file"] = ""
        ig.write_config()
        r = ig.cli("check-config")
        self.assertEqual(r.returncode, 1)
        self.assertIn("admin.token_file", r.stdout + r.stderr)
        ig.start(wait=False)
        try:
            rc = ig.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.fail("igbridge started with a non-loopback admin listener and no token")
        self.assertEqual(rc, 1)
        self.assertIn("admin.token_file", ig.log())

    def test_non_loopback_admin_with_a_token_starts(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg, admin_token="s3cret"))
        ig.sections["admin"]["listen"] = f"0.0.0.0:{ig.admin_port}"
        ig.write_config()
        ig.start()  # waits for /readyz with the token
        self.assertEqual(get(ig.admin + "/status").status, 401)
        r = ig.cli("users", "list")
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
