"""Issue 19, must-show 7: `igbridge doctor` passes against a correct setup
(fakegram as the provider, the JSONL sink: what `make run` starts) and,
for each fault an operator meets first, fails naming it with its fix."""

import copy
import os
import tempfile
import unittest

from harness import DaemonTest, Fakegram, Igbridge, Receiver, free_port


class Doctor(DaemonTest):
    def setUp(self):
        super().setUp()
        self.fg = self.track(Fakegram("graph"))
        self.ig = self.track(Igbridge(self.fg)).start()
        self.good = copy.deepcopy(self.ig.sections)

    def doctor(self, **changes):
        """Runs doctor on the daemon's config with `changes` ({section: {key:
        value}}) applied; returns (exit code, output)."""
        self.ig.sections = copy.deepcopy(self.good)
        for section, values in changes.items():
            self.ig.sections.setdefault(section, {}).update(values)
        self.ig.write_config()
        r = self.ig.cli("doctor")
        return r.returncode, r.stdout + r.stderr

    def line(self, out, check):
        for l in out.splitlines():
            if l.split()[1:2] == [check]:
                return l
        self.fail(f"no line for {check} in:\n{out}")

    def assert_fails(self, out, check, *words):
        line = self.line(out, check)
        self.assertTrue(line.startswith("FAIL"), out)
        fix = out[out.index(line):].splitlines()[1]
        self.assertIn("fix:", fix, out)
        for w in words:
            self.assertIn(w, line + fix, out)

    def test_a_correct_setup_passes(self):
        rc, out = self.doctor()
        self.assertEqual(rc, 0, out)
        for check in ("config", "secrets", "meta-app", "public-url", "state-dir", "media-dir",
                      "sink"):
            self.assertRegex(self.line(out, check), r"^(ok|skip)", out)
        self.assertTrue(self.line(out, "meta-app").startswith("ok"), out)
        self.assertNotIn("FAIL", out)
        # Secrets never reach the output.
        self.assertNotIn(self.fg.client_secret, out)

    def test_a_wrong_meta_secret(self):
        self.ig.write_secret("wrong_meta", "not-the-meta-app-secret")
        rc, out = self.doctor(instagram={"meta_app_secret_file": self.ig.secret_path("wrong_meta")})
        self.assertEqual(rc, 1, out)
        self.assert_fails(out, "meta-app", "meta_app_secret_file", "app_id")
        self.assertNotIn("not-the-meta-app-secret", out)

    def test_a_missing_secret_file(self):
        rc, out = self.doctor(instagram={"meta_app_secret_file": self.ig.secret_path("nope")})
        self.assertEqual(rc, 1, out)
        self.assert_fails(out, "secrets", "instagram.meta_app_secret_file")

    def test_an_unreachable_public_url(self):
        rc, out = self.doctor(server={"public_url": f"http://127.0.0.1:{free_port()}"})
        self.assertEqual(rc, 1, out)
        self.assert_fails(out, "public-url", "server.public_url")

    def test_an_unwritable_media_directory(self):
        # A path under a regular file can never be a directory, root or not.
        blocker = os.path.join(self.ig.dir, "a-file")
        with open(blocker, "w") as f:
            f.write("x")
        rc, out = self.doctor(media={"path": os.path.join(blocker, "media")})
        self.assertEqual(rc, 1, out)
        self.assert_fails(out, "media-dir", "media.path")

    def test_a_micropub_sink_that_answers_401(self):
        micropub = Receiver(default_status=401, path="/micropub")
        self.addCleanup(micropub.server.shutdown)
        self.ig.write_secret("micropub_token", "token-the-server-refuses")
        rc, out = self.doctor(sink={"type": "micropub", "url": micropub.url,
                                    "token_file": self.ig.secret_path("micropub_token")})
        self.assertEqual(rc, 1, out)
        self.assert_fails(out, "sink", "401", "sink.token_file")
        asked = [r for r in micropub.requests if r["method"] == "GET"]
        self.assertTrue(asked and "q=config" in asked[0]["path"], micropub.requests)
        self.assertEqual(asked[0]["headers"].get("authorization"),
                         "Bearer token-the-server-refuses")
        self.assertNotIn("token-the-server-refuses", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
