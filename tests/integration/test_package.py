"""The .deb of `make package`: its files, control fields, maintainer scripts,
and that the packaged binary runs and the packaged config checks out.

Checks $IGBRIDGE_DEB when set; otherwise builds a .deb with
`cpack -G DEB -B <tmpdir>` in the build directory of $IGBRIDGE_BIN (nothing
is left in the build tree's package directory). Never installs anything."""

import glob
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


def run(cmd, **kw):
    kw.setdefault("timeout", 600)
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


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
        has("usr/share/doc/igbridge/igbridge.toml.example")
        has("usr/share/doc/igbridge/README.md")
        has("etc/igbridge/igbridge.toml")
        for path, mode in files.items():
            self.assertNotIn("w", mode[-3:], f"{path} is world-writable")

    def test_control(self):
        self.assertEqual(self.field("Package"), "igbridge")
        version = project_version()
        if version:
            self.assertEqual(self.field("Version"), version)
        self.assertEqual(self.field("Section"), "net")
        self.assertTrue(self.field("Maintainer"))
        self.assertTrue(self.field("Description"))
        depends = self.field("Depends")
        # From dpkg-shlibdeps: the shared libraries the binary really links.
        for lib in ("libc6", "libcaf-core", "liblmdb", "libssl", "libsystemd0"):
            self.assertRegex(depends, rf"(^|, ){re.escape(lib)}", depends)
        info = self.dpkg_deb("-I", self.deb)
        for name in ("conffiles", "postinst", "prerm", "postrm"):
            self.assertRegex(info, rf"\s{name}\s", info)

    def test_maintainer_scripts(self):
        control = os.path.join(self.tmp, "control")
        self.dpkg_deb("-e", self.deb, control)
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
        # systemd is only driven when it runs; the unit starts only when its
        # credentials exist; otherwise postinst says what to configure.
        post = scripts["postinst"]
        self.assertIn("/run/systemd/system", post)
        self.assertIn("systemctl daemon-reload", post)
        self.assertIn("/etc/igbridge/credentials", post)
        self.assertIn("check-config", post)
        self.assertIn("systemctl enable", post)
        self.assertRegex(scripts["prerm"], r"systemctl (disable --now|stop)")
        self.assertIn("daemon-reload", scripts["postrm"])

    def test_packaged_unit(self):
        root = self.extract()
        units = glob.glob(os.path.join(root, "usr/lib/systemd/system/igbridge.service")) + \
            glob.glob(os.path.join(root, "lib/systemd/system/igbridge.service"))
        self.assertEqual(len(units), 1)
        with open(units[0]) as f:
            unit = f.read()
        self.assertRegex(unit, r"(?m)^ExecStart=/usr/bin/igbridge serve -c /etc/igbridge/igbridge.toml$")
        self.assertRegex(unit, r"(?m)^Type=notify$")

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
