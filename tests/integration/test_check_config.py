"""check-config and serve refuse broken configs, naming the key."""

import os
import subprocess
import unittest

from harness import IGBRIDGE, DaemonTest, Fakegram, Igbridge


class CheckConfig(DaemonTest):
    def setUp(self):
        super().setUp()
        self.fg = self.track(Fakegram("graph"))
        self.ig = Igbridge(self.fg)

    def check(self):
        return subprocess.run([IGBRIDGE, "check-config", "-c", self.ig.config_path],
                              capture_output=True, text=True, timeout=30)

    def assertProblem(self, key):
        self.ig.write_config()
        r = self.check()
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(key, r.stderr)
        s = subprocess.run([IGBRIDGE, "serve", "-c", self.ig.config_path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(s.returncode, 1)
        self.assertIn(key, s.stderr)
        return r.stderr

    def test_valid(self):
        r = self.check()
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_unknown_key(self):
        self.ig.sections["server"]["listn"] = "127.0.0.1:1"
        self.assertProblem("server.listn")

    def test_bad_listen_address(self):
        self.ig.sections["server"]["listen"] = "not-an-address"
        self.assertProblem("server.listen")

    def test_wrong_type(self):
        self.ig.sections["import"]["initial_count"] = "twenty"
        self.assertProblem("import.initial_count")

    def test_missing_secret_file(self):
        self.ig.sections["instagram"]["client_secret_file"] = "/nonexistent/secret"
        err = self.assertProblem("instagram.client_secret_file")
        self.assertIn("/nonexistent/secret", err)

    def test_secret_value_never_printed(self):
        self.ig.sections["server"]["listen"] = "bad"
        err = self.assertProblem("server.listen")
        self.assertNotIn(self.fg.client_secret, err)
        self.assertNotIn(self.ig.link_secret, err)

    def test_non_loopback_admin_needs_token(self):
        self.ig.sections["admin"]["listen"] = "0.0.0.0:0"
        self.assertProblem("admin.token_file")

    def test_help(self):
        for cmd in ([], ["serve"], ["check-config"], ["link-url"], ["users"], ["outbox"],
                    ["subscriptions"]):
            r = subprocess.run([IGBRIDGE, *cmd, "--help"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, cmd)
            self.assertIn("--config" if cmd else "serve", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
