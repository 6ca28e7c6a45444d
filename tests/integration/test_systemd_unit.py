"""systemd/igbridge.service: `systemd-analyze verify` is clean and
`systemd-analyze security --offline=true` rates it at an exposure <= 1.5.

Needs no daemon and no running systemd (offline analysis, fine in a
container); needs systemd-analyze (Debian package `systemd`)."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("IGBRIDGE_SOURCE_DIR",
                            os.path.normpath(os.path.join(HERE, "..", "..")))
UNIT = os.path.join(SOURCE_DIR, "systemd", "igbridge.service")
IGBRIDGE = os.path.abspath(os.environ.get("IGBRIDGE_BIN", "build/igbridge"))
MAX_EXPOSURE = 1.5
CREDENTIALS = {"client_secret", "link_secret", "verify_token", "storage_key"}


def parse_unit(text):
    """{section: [(key, value), ...]} keeping repeated keys, in order."""
    sections, cur = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            cur = sections.setdefault(line[1:-1], [])
            continue
        key, sep, value = line.partition("=")
        assert sep and cur is not None, f"unparsable unit line: {line!r}"
        cur.append((key.strip(), value.strip()))
    return sections


class SystemdUnit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.analyze = shutil.which("systemd-analyze")
        with open(UNIT) as f:
            cls.text = f.read()

    def run_analyze(self, *args):
        if not self.analyze:
            self.fail("systemd-analyze not found: install the Debian package "
                      "`systemd` (make deps does)")
        env = dict(os.environ, SYSTEMD_LOG_COLOR="0", SYSTEMD_COLORS="0",
                   SYSTEMD_PAGER="cat", LC_ALL="C.UTF-8")
        return subprocess.run([self.analyze, *args], capture_output=True,
                              text=True, timeout=120, env=env)

    def values(self, section, key):
        return [v for k, v in parse_unit(self.text).get(section, []) if k == key]

    def value(self, section, key):
        vs = self.values(section, key)
        self.assertTrue(vs, f"{section}/{key} not set")
        return vs[-1]

    def test_verify_clean(self):
        # verify checks that ExecStart= is executable: analyse a copy that
        # runs the binary just built instead of /usr/bin/igbridge.
        self.assertTrue(os.access(IGBRIDGE, os.X_OK),
                        f"IGBRIDGE_BIN={IGBRIDGE} is not an executable")
        exec_start = self.value("Service", "ExecStart")
        self.assertTrue(exec_start.startswith("/usr/bin/igbridge "), exec_start)
        text = re.sub(r"^ExecStart=/usr/bin/igbridge ",
                      f"ExecStart={IGBRIDGE} ", self.text, flags=re.M)
        with tempfile.TemporaryDirectory() as d:
            copy = os.path.join(d, "igbridge.service")
            with open(copy, "w") as f:
                f.write(text)
            r = self.run_analyze("verify", "--man=no", copy)
        out = (r.stdout + r.stderr).strip()
        self.assertEqual(r.returncode, 0, out)
        # verify exits 0 even for unknown keys or unparsable values (it
        # "ignores" them): every message about our unit is an error. Noise
        # about the host (no running manager, other units) is not ours.
        ours = [l for l in out.splitlines() if "igbridge" in l]
        self.assertEqual(ours, [], out)

    def test_security_exposure(self):
        r = self.run_analyze("security", "--offline=true", "--no-pager", UNIT)
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out)
        m = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", out)
        self.assertIsNotNone(m, "no 'Overall exposure level' line:\n" + out)
        exposure = float(m.group(1))
        self.assertLessEqual(exposure, MAX_EXPOSURE, out)

    def test_contract_settings(self):
        expect = {
            "Type": "notify", "NotifyAccess": "main", "WatchdogSec": "30",
            "Restart": "on-failure", "RestartSec": "2", "TimeoutStopSec": "30",
            "DynamicUser": "yes", "StateDirectory": "igbridge",
            "ConfigurationDirectory": "igbridge", "UMask": "0077",
        }
        for key, want in expect.items():
            self.assertEqual(self.value("Service", key), want, key)
        self.assertEqual(self.value("Service", "ExecStart"),
                         "/usr/bin/igbridge serve -c /etc/igbridge/igbridge.toml")
        creds = {}
        for v in self.values("Service", "LoadCredential"):
            name, _, path = v.partition(":")
            creds[name] = path
        self.assertEqual(set(creds), CREDENTIALS)
        for name, path in creds.items():
            self.assertEqual(path, f"/etc/igbridge/credentials/{name}")
            # ... and the comment tells the operator which config key uses it.
            self.assertIn(f"${{CREDENTIALS_DIRECTORY}}/{name}", self.text)
        self.assertEqual(self.value("Install", "WantedBy"), "multi-user.target")

    def test_open_file_limit_fits_the_connection_caps(self):
        # The default caps (server 1024 + admin 64) and the 128 files kept back
        # for LMDB, the sink, outbound connections and media must fit.
        limit = int(self.value("Service", "LimitNOFILE"))
        self.assertGreaterEqual(limit, 1024 + 64 + 128)


if __name__ == "__main__":
    unittest.main(verbosity=2)
