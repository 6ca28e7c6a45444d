"""systemd/igbridge.service: `systemd-analyze verify` is clean and
`systemd-analyze security --offline=true` rates it at an exposure <= 1.5;
it reloads with SIGHUP. systemd/igbridge.socket and igbridge-admin.socket
verify clean with the service, listen where config/igbridge.toml's listeners
do and name their sockets "public" and "admin" for the daemon.

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
# socket unit -> (FileDescriptorName=, the config section whose listen= it holds)
SOCKETS = {"igbridge.socket": ("public", "server"),
           "igbridge-admin.socket": ("admin", "admin")}
CONFIG = os.path.join(SOURCE_DIR, "config", "igbridge.toml")
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

    def verify(self, *names, drop_ins=()):
        """`systemd-analyze verify` on copies of the service and the named
        units, side by side (a socket's Service= must resolve). verify checks
        that ExecStart= is executable: the copy runs the binary just built
        instead of /usr/bin/igbridge."""
        self.assertTrue(os.access(IGBRIDGE, os.X_OK),
                        f"IGBRIDGE_BIN={IGBRIDGE} is not an executable")
        exec_start = self.value("Service", "ExecStart")
        self.assertTrue(exec_start.startswith("/usr/bin/igbridge "), exec_start)
        text = re.sub(r"^ExecStart=/usr/bin/igbridge ",
                      f"ExecStart={IGBRIDGE} ", self.text, flags=re.M)
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "igbridge.service"), "w") as f:
                f.write(text)
            for name in names:
                shutil.copy(os.path.join(SOURCE_DIR, "systemd", name), d)
            if drop_ins:
                os.mkdir(os.path.join(d, "igbridge.service.d"))
            for name in drop_ins:
                shutil.copy(os.path.join(SOURCE_DIR, "systemd", name),
                            os.path.join(d, "igbridge.service.d"))
            r = self.run_analyze("verify", "--man=no",
                                 *[os.path.join(d, n) for n in ("igbridge.service", *names)])
        out = (r.stdout + r.stderr).strip()
        self.assertEqual(r.returncode, 0, out)
        # verify exits 0 even for unknown keys or unparsable values (it
        # "ignores" them): every message about our units is an error. Noise
        # about the host (no running manager, other units) is not ours.
        ours = [l for l in out.splitlines() if "igbridge" in l]
        self.assertEqual(ours, [], out)

    def test_verify_clean(self):
        self.verify()

    def test_sockets_verify_clean(self):
        self.verify(*SOCKETS)

    def test_cluster_drop_in(self):
        """systemd/cluster.conf verifies clean on the unit (verify reads the
        drop-in: a wrong key in it would be reported), gives a stop the
        time of a hand-over, and loads the NATS secrets as credentials
        under the names the configuration's comments use."""
        self.verify(drop_ins=("cluster.conf",))
        with open(os.path.join(SOURCE_DIR, "systemd", "cluster.conf")) as f:
            drop_in = parse_unit(f.read())
        service = dict(drop_in["Service"])
        # drain_bound (10 s) + the leases' handoff_timeout (30 s), with room
        self.assertGreaterEqual(int(service["TimeoutStopSec"]), 40)
        creds = {v.split(":")[0] for k, v in drop_in["Service"] if k == "LoadCredential"}
        self.assertEqual(creds, {"nats_creds", "nats_tls_ca"})
        with open(CONFIG) as f:
            config = f.read()
        self.assertIn("$CREDENTIALS_DIRECTORY/nats_creds", config)

    def test_sockets_hand_named_listeners_to_the_service(self):
        with open(CONFIG) as f:
            config = f.read()
        for name, (fd_name, section) in SOCKETS.items():
            with open(os.path.join(SOURCE_DIR, "systemd", name)) as f:
                unit = parse_unit(f.read())
            sock = dict(unit["Socket"])
            self.assertEqual([v for k, v in unit["Socket"] if k == "ListenStream"],
                             [sock["ListenStream"]], f"{name}: one stream, one name")
            # The shipped config's listener, so enabling the socket as
            # documented hands the daemon the address it would bind itself.
            m = re.search(rf"(?ms)^\[{section}\]$.*?^listen = \"([^\"]+)\"", config)
            self.assertIsNotNone(m, f"no {section}.listen in {CONFIG}")
            self.assertEqual(sock["ListenStream"], m.group(1), name)
            self.assertEqual(sock.get("FileDescriptorName"), fd_name, name)
            self.assertEqual(sock.get("Service"), "igbridge.service", name)
            self.assertNotIn("Accept", sock, f"{name}: the daemon accepts, not systemd")
            self.assertEqual(dict(unit["Install"]).get("WantedBy"), "sockets.target", name)
        # The service works without the sockets: it neither requires them nor
        # pulls them in (Sockets= implies Wants=), and binds its own then.
        for section in parse_unit(self.text).values():
            for key, value in section:
                if key in ("Sockets", "Requires", "Wants", "BindsTo", "Requisite"):
                    self.assertNotIn(".socket", value, f"{key}={value}")

    def test_reload_sends_sighup_and_the_docs_say_what_it_rereads(self):
        self.assertEqual(self.value("Service", "ExecReload"), "/bin/kill -HUP $MAINPID")
        # The header tells the operator what a reload cannot do.
        self.assertRegex(self.text, r"does not refresh")
        self.assertRegex(self.text, r"systemctl restart igbridge")
        self.assertIn("systemctl enable --now igbridge.socket igbridge-admin.socket", self.text)

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
