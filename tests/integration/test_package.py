"""The .deb of `make package`: lintian finds no error and no warning in it;
its files (units, copyright, changelog, manual page), control fields,
maintainer scripts on debhelper's systemd helpers, and that the packaged
binary runs and the packaged config checks out.

Checks $IGBRIDGE_DEB when set; otherwise builds a .deb with
`cpack -G DEB -B <tmpdir>` in the build directory of $IGBRIDGE_BIN (nothing
is left in the build tree's package directory). Never installs anything."""

import glob
import gzip
import os
import re
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("IGBRIDGE_SOURCE_DIR",
                            os.path.normpath(os.path.join(HERE, "..", "..")))
IGBRIDGE = os.path.abspath(os.environ.get("IGBRIDGE_BIN", "build/igbridge"))
DOC = "usr/share/doc/igbridge"
MAN = "usr/share/man/man8/igbridge.8.gz"
SOCKETS = ("igbridge.socket", "igbridge-admin.socket")
# Where lintian's maintainer-script-calls-systemctl looks for a command.
SYSTEMCTL_CALL = re.compile(r"^(?:.+;)?\s*systemctl\b")


def run(cmd, **kw):
    kw.setdefault("timeout", 600)
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def code_lines(script):
    """The script's lines without comments or blank lines."""
    lines = (re.sub(r"(^|\s)#.*", "", l).rstrip() for l in script.splitlines())
    return [l for l in lines if l.strip()]


def gunzip_checked(test, path):
    """The text of a gzip file made as Debian wants it: -9, no name, no time."""
    with open(path, "rb") as f:
        head = f.read(10)
    test.assertEqual(head[:3], b"\x1f\x8b\x08", f"{path} is not gzip")
    test.assertFalse(head[3] & 0x08, f"{path} stores a file name (use gzip -n)")
    test.assertEqual(head[4:8], b"\0\0\0\0", f"{path} stores a time stamp (use gzip -n)")
    test.assertEqual(head[8], 2, f"{path} is not compressed with -9")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return f.read()


def project_version():
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
        m = re.search(r"project\(\s*igbridge\b[^)]*\bVERSION\s+([0-9][0-9.]*)", f.read())
    return m.group(1) if m else None


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="igbridge-pkg-")
        cls.deb = None
        cls.problem = None
        try:
            cls.deb = cls.find_or_build()
        except Exception as e:  # reported by every test, not as a crash
            cls.problem = str(e)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def find_or_build(cls):
        for tool in ("dpkg-deb", "cpack"):
            if not shutil.which(tool):
                raise RuntimeError(f"{tool} not found (Debian packages dpkg, cmake)")
        deb = os.environ.get("IGBRIDGE_DEB")
        if deb:
            if not os.path.isfile(deb):
                raise RuntimeError(f"IGBRIDGE_DEB={deb} does not exist")
            return os.path.abspath(deb)
        build = os.path.dirname(IGBRIDGE)
        if not os.path.isfile(os.path.join(build, "CPackConfig.cmake")):
            raise RuntimeError(f"{build} has no CPackConfig.cmake: set IGBRIDGE_BIN to "
                               "<builddir>/igbridge of a configured build, or IGBRIDGE_DEB")
        out = os.path.join(cls.tmp, "out")
        r = run(["cpack", "-G", "DEB", "-B", out], cwd=build)
        if r.returncode != 0:
            raise RuntimeError("cpack -G DEB failed:\n" + r.stdout + r.stderr)
        debs = glob.glob(os.path.join(out, "*.deb"))
        if len(debs) != 1:
            raise RuntimeError(f"expected one .deb in {out}, got {debs}:\n{r.stdout}")
        return debs[0]

    def setUp(self):
        if self.problem:
            self.fail(self.problem)

    def dpkg_deb(self, *args):
        r = run(["dpkg-deb", *args])
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def field(self, name):
        return self.dpkg_deb("-f", self.deb, name).strip()

    def extract(self):
        root = os.path.join(self.tmp, "root")
        if not os.path.isdir(root):
            self.dpkg_deb("-x", self.deb, root)
        return root

    def control_dir(self):
        control = os.path.join(self.tmp, "control")
        if not os.path.isdir(control):
            self.dpkg_deb("-e", self.deb, control)
        return control

    def run_script(self, name, *args, creds=False, config_ok=False, systemd=True,
                   installed_before=False, enabled=False):
        """Runs a copy of a maintainer script whose system paths point into a
        scratch root and whose helpers (deb-systemd-helper, deb-systemd-invoke,
        systemctl, igbridge check-config) are stubs that log their calls.
        Returns (exit code, output, [calls])."""
        root = tempfile.mkdtemp(prefix="root-", dir=self.tmp)
        stubs = os.path.join(root, "stubs")
        os.makedirs(stubs)
        log = os.path.join(root, "calls")
        answers = {  # deb-systemd-helper's queries: exit code by verb
            "debian-installed": 0 if installed_before else 1,
            "was-enabled": 0 if enabled else 1,
        }
        for tool in ("deb-systemd-helper", "deb-systemd-invoke", "systemctl", "igbridge"):
            with open(os.path.join(stubs, tool), "w") as f:
                f.write(f'#!/bin/sh\necho "{tool} $*" >> {log}\n')
                if tool == "deb-systemd-helper":
                    for verb, rc in answers.items():
                        f.write(f'case " $* " in *" {verb} "*) exit {rc};; esac\n')
                if tool == "igbridge":
                    f.write(f"exit {0 if config_ok else 1}\n")
                f.write("exit 0\n")
            os.chmod(os.path.join(stubs, tool), 0o755)
        if creds:
            os.makedirs(os.path.join(root, "etc/igbridge/credentials"))
            for secret in ("client_secret", "link_secret", "verify_token", "storage_key"):
                open(os.path.join(root, "etc/igbridge/credentials", secret), "w").close()
        if systemd:
            os.makedirs(os.path.join(root, "run/systemd/system"))
        with open(os.path.join(self.control_dir(), name)) as f:
            script = f.read()
        for path, to in (("/usr/bin/igbridge", f"{stubs}/igbridge"),
                         ("/usr/bin/deb-systemd-helper", f"{stubs}/deb-systemd-helper"),
                         ("/etc/igbridge", f"{root}/etc/igbridge"),
                         ("/run/systemd/system", f"{root}/run/systemd/system"),
                         ("/var/lib/", f"{root}/var/lib/")):
            script = script.replace(path, to)
        copy = os.path.join(root, name)
        with open(copy, "w") as f:
            f.write(script)
        env = dict(os.environ, PATH=stubs + os.pathsep + os.environ["PATH"])
        env.pop("DPKG_ROOT", None)
        r = run(["sh", "-e", copy, *args], env=env, timeout=30)
        calls = []
        if os.path.exists(log):
            with open(log) as f:
                calls = [c.replace(root, "") for c in f.read().splitlines()]
        return r.returncode, r.stdout + r.stderr, calls

    def test_file_name(self):
        m = re.fullmatch(r"igbridge_(.+)_(.+)\.deb", os.path.basename(self.deb))
        self.assertIsNotNone(m, self.deb)
        self.assertEqual(m.group(1), self.field("Version"))
        self.assertEqual(m.group(2), self.field("Architecture"))

    def test_contents(self):
        listing = self.dpkg_deb("-c", self.deb)
        files = {}
        for line in listing.splitlines():
            parts = line.split(None, 5)
            path = parts[5].split(" -> ")[0]
            files[re.sub(r"^\./", "", path).rstrip("/")] = parts[0]

        def has(path):
            self.assertIn(path, files, listing)
            self.assertTrue(files[path].startswith("-"), f"{path} is not a file")
            return files[path]

        self.assertEqual(has("usr/bin/igbridge"), "-rwxr-xr-x")
        units = [p for p in files if re.fullmatch(r"(usr/)?lib/systemd/system/igbridge\.service", p)]
        self.assertEqual(len(units), 1, listing)
        has(units[0])
        for name in SOCKETS:
            has(os.path.join(os.path.dirname(units[0]), name))
        has(f"{DOC}/igbridge.toml.example")
        has(f"{DOC}/README.md")
        has(f"{DOC}/examples/cluster.conf")  # the cluster-mode drop-in
        has(f"{DOC}/copyright")
        has(f"{DOC}/changelog.gz")      # native package: not changelog.Debian.gz
        has(MAN)
        has("etc/igbridge/igbridge.toml")
        # Nothing is enabled by shipping a symlink: enabling is postinst's.
        self.assertEqual([p for p in files if p.startswith("etc/systemd")], [], listing)
        for path, mode in files.items():
            self.assertNotIn("w", mode[-3:], f"{path} is world-writable")

    def test_control(self):
        self.assertEqual(self.field("Package"), "igbridge")
        version = project_version()
        if version:
            self.assertEqual(self.field("Version"), version)
        self.assertEqual(self.field("Section"), "net")
        maintainer = self.field("Maintainer")
        self.assertRegex(maintainer, r"^[^<>@]+ <[^<>@\s]+@[^<>@\s]+\.[a-z]+>$")
        self.assertNotIn("localhost", maintainer)
        self.assertTrue(self.field("Description"))
        depends = self.field("Depends")
        # From dpkg-shlibdeps: the shared libraries the binary really links.
        for lib in ("libc6", "libcaf-core", "liblmdb", "libssl", "libsystemd0"):
            self.assertRegex(depends, rf"(^|, ){re.escape(lib)}", depends)
        # The maintainer scripts' deb-systemd-helper and deb-systemd-invoke.
        self.assertRegex(depends, r"(^|, )init-system-helpers \(>= [0-9.~]+\)", depends)
        info = self.dpkg_deb("-I", self.deb)
        for name in ("conffiles", "postinst", "prerm", "postrm"):
            self.assertRegex(info, rf"\s{name}\s", info)

    def test_maintainer_scripts(self):
        control = self.control_dir()
        with open(os.path.join(control, "conffiles")) as f:
            self.assertIn("/etc/igbridge/igbridge.toml", f.read().split())
        scripts = {}
        for name in ("postinst", "prerm", "postrm"):
            path = os.path.join(control, name)
            self.assertTrue(os.access(path, os.X_OK), f"{name} is not executable")
            with open(path) as f:
                scripts[name] = f.read()
            self.assertTrue(scripts[name].startswith("#!/bin/sh"), name)
            r = run(["sh", "-n", path])
            self.assertEqual(r.returncode, 0, f"{name}: {r.stderr}")
        # Units are driven through debhelper's helpers, never systemctl
        # itself (lintian: maintainer-script-calls-systemctl), except the
        # daemon-reload debhelper's own snippets run.
        for name, script in scripts.items():
            for line in code_lines(script):
                if SYSTEMCTL_CALL.search(line):
                    self.assertRegex(line, r"systemctl --system daemon-reload >/dev/null \|\| true$",
                                     f"{name} calls systemctl: {line.strip()}")
        post, prerm, postrm = scripts["postinst"], scripts["prerm"], scripts["postrm"]
        # systemd is only driven when it runs; the unit is enabled and started
        # only when its credentials exist and check-config passes; otherwise
        # postinst says what to configure. The sockets are never enabled by
        # the package, only kept as the operator left them.
        self.assertIn("[ -d /run/systemd/system ]", post)
        self.assertIn("systemctl --system daemon-reload", post)
        self.assertIn("/etc/igbridge/credentials", post)
        self.assertIn("check-config", post)
        for verb in ("unmask", "was-enabled", "enable", "update-state", "debian-installed"):
            self.assertRegex(post, rf"deb-systemd-helper (--quiet )?{verb} ", verb)
        self.assertRegex(post, r"deb-systemd-invoke \$_dh_action ")
        self.assertIn("systemctl enable --now igbridge.service", post)  # the advice
        for sock in SOCKETS:
            self.assertIn(sock, post)
        # prerm stops the units on remove only (restart after upgrade).
        self.assertIn("[ -d /run/systemd/system ]", prerm)
        self.assertRegex(prerm, r'\[ "\$1" = remove \].*\n\s+deb-systemd-invoke stop '
                                r"igbridge\.socket igbridge-admin\.socket igbridge\.service")
        self.assertIn("systemctl --system daemon-reload", postrm)
        self.assertRegex(postrm, r'-x "/usr/bin/deb-systemd-helper" \]; then\n\s+'
                                 r"deb-systemd-helper purge \$UNITS")
        self.assertIn("rm -rf /var/lib/private/igbridge /var/lib/igbridge", postrm)

    def test_postinst_enables_and_starts_only_a_configured_service(self):
        # First install without credentials: nothing enabled or started, the
        # operator is told what to create; the sockets are never enabled.
        rc, out, calls = self.run_script("postinst", "configure", "")
        self.assertEqual(rc, 0, out)
        self.assertIn("installed but not started", out)
        self.assertIn("client_secret", out)
        self.assertFalse([c for c in calls if " enable " in c + " " or "invoke" in c], calls)
        self.assertIn("systemctl --system daemon-reload", calls)
        for unit in ("igbridge.service", *SOCKETS):
            self.assertIn(f"deb-systemd-helper update-state {unit}", calls)
        # First install, credentials in place but check-config fails: the same.
        rc, out, calls = self.run_script("postinst", "configure", "", creds=True)
        self.assertEqual(rc, 0, out)
        self.assertIn("igbridge check-config -c /etc/igbridge/igbridge.toml", calls)
        self.assertFalse([c for c in calls if " enable " in c + " " or "invoke" in c], calls)
        # First install, ready: the service (only) is enabled, then started.
        rc, out, calls = self.run_script("postinst", "configure", "", creds=True, config_ok=True)
        self.assertEqual(rc, 0, out)
        enables = [c for c in calls if c.startswith("deb-systemd-helper enable")]
        self.assertEqual(enables, ["deb-systemd-helper enable igbridge.service"], calls)
        self.assertEqual(calls[-1], "deb-systemd-invoke start igbridge.service", calls)
        # Upgrade of an enabled install: links renewed, restarted after the
        # new files are in place; the operator's enabled sockets stay enabled.
        rc, out, calls = self.run_script("postinst", "configure", "0.0.1", creds=True,
                                         config_ok=True, installed_before=True, enabled=True)
        self.assertEqual(rc, 0, out)
        for unit in ("igbridge.service", *SOCKETS):
            self.assertIn(f"deb-systemd-helper enable {unit}", calls)
        self.assertEqual(calls[-1], "deb-systemd-invoke restart igbridge.service", calls)
        # Upgrade whose configuration no longer checks out: no restart.
        rc, out, calls = self.run_script("postinst", "configure", "0.0.1", creds=True,
                                         installed_before=True, enabled=True)
        self.assertEqual(rc, 0, out)
        self.assertFalse([c for c in calls if "invoke" in c], calls)
        # Without a running systemd nothing is started, and it says so.
        rc, out, calls = self.run_script("postinst", "configure", "", creds=True,
                                         config_ok=True, systemd=False)
        self.assertEqual(rc, 0, out)
        self.assertIn("systemd is not running", out)
        self.assertFalse([c for c in calls if "invoke" in c or "systemctl" in c], calls)

    def test_prerm_and_postrm(self):
        # An upgrade leaves the daemon running (postinst restarts it).
        for args in (("upgrade", "0.2.0"), ("failed-upgrade", "0.2.0")):
            rc, out, calls = self.run_script("prerm", *args)
            self.assertEqual((rc, calls), (0, []), out)
        rc, out, calls = self.run_script("prerm", "remove")
        self.assertEqual(rc, 0, out)
        self.assertEqual(calls, ["deb-systemd-invoke stop igbridge.socket "
                                 "igbridge-admin.socket igbridge.service"])
        rc, out, calls = self.run_script("prerm", "remove", systemd=False)
        self.assertEqual((rc, calls), (0, []), out)
        rc, out, calls = self.run_script("postrm", "remove")
        self.assertEqual((rc, calls), (0, ["systemctl --system daemon-reload"]), out)
        rc, out, calls = self.run_script("postrm", "purge")
        self.assertEqual(rc, 0, out)
        self.assertEqual(calls, ["deb-systemd-helper purge igbridge.service "
                                 "igbridge.socket igbridge-admin.socket"])

    def test_packaged_unit(self):
        root = self.extract()
        units = glob.glob(os.path.join(root, "usr/lib/systemd/system/igbridge.service")) + \
            glob.glob(os.path.join(root, "lib/systemd/system/igbridge.service"))
        self.assertEqual(len(units), 1)
        with open(units[0]) as f:
            unit = f.read()
        self.assertRegex(unit, r"(?m)^ExecStart=/usr/bin/igbridge serve -c /etc/igbridge/igbridge.toml$")
        self.assertRegex(unit, r"(?m)^Type=notify$")
        self.assertRegex(unit, r"(?m)^ExecReload=/bin/kill -HUP \$MAINPID$")
        for name in SOCKETS:
            with open(os.path.join(os.path.dirname(units[0]), name)) as f:
                self.assertRegex(f.read(), r"(?m)^Service=igbridge\.service$", name)

    def test_lintian_clean(self):
        if not shutil.which("lintian"):
            self.fail("lintian not found: install the Debian package lintian (make deps does)")
        r = run(["lintian", "--fail-on", "none", "--display-info", "--pedantic",
                 "--no-tag-display-limit", self.deb], timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        tags = r.stdout.splitlines()
        print("\nlintian:", *(tags or ["(no tags)"]), sep="\n  ")
        bad = [t for t in tags if t.startswith(("E: ", "W: "))]
        self.assertEqual(bad, [], "lintian errors or warnings:\n" + "\n".join(bad))

    def test_copyright_is_dep5(self):
        with open(os.path.join(self.extract(), DOC, "copyright")) as f:
            text = f.read()
        paragraphs = [p for p in text.split("\n\n") if p.strip()]
        self.assertTrue(paragraphs[0].startswith(
            "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"),
            paragraphs[0])
        self.assertRegex(paragraphs[0], r"(?m)^Upstream-Name: igbridge$")
        files = [p for p in paragraphs if p.startswith("Files:")]
        self.assertTrue(files and files[0].startswith("Files: *\n"), text)
        for p in files:
            self.assertRegex(p, r"(?m)^Copyright: \S")
            license_name = re.search(r"(?m)^License: (\S+)$", p)
            self.assertIsNotNone(license_name, p)
            # A short name alone refers to a stand-alone paragraph with its text.
            standalone = [q for q in paragraphs
                          if q.startswith(f"License: {license_name.group(1)}\n")]
            self.assertEqual(len(standalone), 1, text)
            self.assertGreater(len(standalone[0].splitlines()), 5, standalone[0])

    def test_changelog(self):
        text = gunzip_checked(self, os.path.join(self.extract(), DOC, "changelog.gz"))
        first = text.splitlines()[0]
        m = re.fullmatch(r"igbridge \(([^)]+)\) [a-z-]+; urgency=\w+", first)
        self.assertIsNotNone(m, first)
        self.assertEqual(m.group(1), self.field("Version"))
        # Its trailer names the same maintainer as the control file.
        trailer = re.search(r"(?m)^ -- (.+ <[^>]+>)  \w{3}, \d", text)
        self.assertIsNotNone(trailer, text)
        self.assertEqual(trailer.group(1), self.field("Maintainer"))

    def test_manual_page(self):
        page = gunzip_checked(self, os.path.join(self.extract(), MAN))
        self.assertRegex(page, r'(?m)^\.TH IGBRIDGE "?8"? ')
        self.assertRegex(page, r"(?m)^\.SH NAME\n^igbridge \\- \S")
        version = project_version()
        if version:
            self.assertIn(version, page)
        # Every subcommand `igbridge --help` lists is in the page.
        r = run([os.path.join(self.extract(), "usr/bin/igbridge"), "--help"], timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        listed = r.stdout.split("Subcommands:", 1)
        self.assertEqual(len(listed), 2, r.stdout)
        subcommands = re.findall(r"(?m)^  ([a-z][a-z-]+)\s", listed[1])
        self.assertIn("serve", subcommands)
        self.assertIn("check-config", subcommands)
        plain = page.replace("\\-", "-")
        for name in subcommands:
            self.assertRegex(plain, rf"(?m)^(\.\w+ )?\\?f?B?{re.escape(name)}\b", name)
        for topic in ("SIGHUP", "/etc/igbridge/igbridge.toml", "igbridge.socket"):
            self.assertIn(topic, plain)

    def test_binary_runs(self):
        binary = os.path.join(self.extract(), "usr/bin/igbridge")
        r = run([binary, "--help"], timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("serve", r.stdout)

    def test_packaged_config_checks_out(self):
        # The /etc config reads its secrets from the unit's credentials: with
        # them in place it is valid as shipped.
        root = self.extract()
        creds = os.path.join(self.tmp, "credentials")
        os.makedirs(creds, exist_ok=True)
        for name in ("client_secret", "link_secret", "verify_token", "storage_key"):
            with open(os.path.join(creds, name), "w") as f:
                f.write("" if name in ("verify_token", "storage_key") else "s3cret-" + name)
        conf = os.path.join(root, "etc/igbridge/igbridge.toml")
        with open(conf) as f:
            text = f.read()
        self.assertIn("${CREDENTIALS_DIRECTORY}/client_secret", text)
        self.assertIn("${CREDENTIALS_DIRECTORY}/link_secret", text)
        r = run([os.path.join(root, "usr/bin/igbridge"), "check-config", "-c", conf],
                timeout=30, env=dict(os.environ, CREDENTIALS_DIRECTORY=creds))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
