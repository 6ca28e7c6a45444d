"""The operator's documents name only what exists: every config key
docs/meta-setup.md mentions is a key of config/igbridge.toml (which a unit
test parses), every igbridge route it gives answers on a running daemon,
and every igbridge subcommand it shows is one the binary knows."""

import os
import re
import unittest

from harness import IGBRIDGE, DaemonTest, Fakegram, Igbridge, get, post

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("IGBRIDGE_SOURCE_DIR", os.path.normpath(os.path.join(HERE, "..", "..")))


def read(rel):
    with open(os.path.join(ROOT, rel)) as f:
        return f.read()


def documented_keys(toml_text):
    """section.key for every key of the documented config file."""
    keys, section = set(), None
    for line in toml_text.splitlines():
        m = re.match(r"^\[(\w+)\]", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"^(\w+)\s*=", line)
        if m and section:
            keys.add(f"{section}.{m.group(1)}")
    return keys


class MetaSetupGuide(DaemonTest):
    def setUp(self):
        super().setUp()
        self.doc = read("docs/meta-setup.md")

    def test_every_config_key_exists(self):
        known = documented_keys(read("config/igbridge.toml"))
        named = set(re.findall(r"`((?:server|admin|storage|instagram|link|import|sink|media|log)"
                               r"\.[a-z_]+)`", self.doc))
        # keys in the TOML example blocks
        section = None
        for line in self.doc.splitlines():
            m = re.match(r"^\[(\w+)\]", line)
            section = m.group(1) if m else section
            m = re.match(r"^(\w+)\s+=", line)
            if m and section:
                named.add(f"{section}.{m.group(1)}")
        self.assertGreater(len(named), 10, named)
        self.assertEqual(named - known, set())

    def test_every_route_answers(self):
        fg = self.track(Fakegram("graph"))
        ig = self.track(Igbridge(fg)).start()
        routes = set(re.findall(r"PUBLIC(/[a-z/_-]+)", self.doc))
        self.assertTrue({"/oauth/instagram/callback", "/hooks/instagram/deauthorize",
                         "/hooks/instagram/data-deletion", "/hooks/instagram",
                         "/livez"} <= routes, routes)
        for route in routes:
            url = ig.public + route
            r = post(url, b"") if "deauthorize" in route or "data-deletion" in route else get(url)
            if route == "/hooks/instagram/deletion":  # the status page of a code
                self.assertEqual(r.json()["error"], "unknown confirmation code")
                continue
            self.assertNotEqual(r.status, 404, route)

    def test_every_subcommand_exists(self):
        import subprocess
        help_text = subprocess.run([IGBRIDGE, "--help"], capture_output=True, text=True).stdout
        code = "\n".join(re.findall(r"```.*?```", self.doc, re.S) + re.findall(r"`[^`\n]+`", self.doc))
        cmds = set(re.findall(r"igbridge ([a-z-]+)", code))
        self.assertTrue({"doctor", "subscriptions", "check-config", "link-url"} <= cmds, cmds)
        for cmd in cmds:
            self.assertIn(cmd, help_text, cmd)


if __name__ == "__main__":
    unittest.main(verbosity=2)
