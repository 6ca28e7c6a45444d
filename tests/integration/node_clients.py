"""The host side's real clients, from npm, for the sinks' tests: the official
Standard Webhooks verifier (`standardwebhooks`) and a Micropub server
(`micropub-express` on `express`). Installed once per build directory under
$IGBRIDGE_ARTIFACTS/npm (build/test-artifacts/npm under ctest); a test that
needs them is skipped, saying why, when npm is missing or the registry cannot
be reached. Not a test module itself."""

import fcntl
import json
import os
import shutil
import subprocess
import unittest

from harness import ARTIFACTS

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "node")
NPM_DIR = os.path.join(ARTIFACTS, "npm")
# Pinned, so every run checks against the same clients.
PACKAGES = {"standardwebhooks": "1.3.0", "micropub-express": "0.9.1", "express": "4.22.3"}

_state = {}


def _installed():
    for name, version in PACKAGES.items():
        try:
            with open(os.path.join(NPM_DIR, "node_modules", name, "package.json")) as f:
                if json.load(f).get("version") != version:
                    return False
        except (OSError, ValueError):
            return False
    return True


def node_modules():
    """The node_modules directory holding PACKAGES, installing them the
    first time; raises unittest.SkipTest when that cannot be done here."""
    if "dir" in _state:
        return _state["dir"]
    if "skip" in _state:
        raise unittest.SkipTest(_state["skip"])
    if not shutil.which("node") or not shutil.which("npm"):
        _state["skip"] = "needs node and npm (make deps installs nodejs and npm)"
        raise unittest.SkipTest(_state["skip"])
    os.makedirs(NPM_DIR, exist_ok=True)
    # ctest runs modules in parallel: one installs, the others wait for it.
    with open(os.path.join(NPM_DIR, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _installed():
            with open(os.path.join(NPM_DIR, "package.json"), "w") as f:
                json.dump({"name": "igbridge-test-clients", "private": True,
                           "dependencies": PACKAGES}, f)
            try:
                r = subprocess.run(
                    ["npm", "install", "--no-audit", "--no-fund", "--no-package-lock",
                     "--loglevel=error", "--cache", os.path.join(NPM_DIR, ".cache")],
                    cwd=NPM_DIR, capture_output=True, text=True, timeout=300)
                # npm's first lines say why (code and cause); a stack follows.
                failure = " / ".join(r.stderr.strip().splitlines()[:3]) if r.returncode else ""
            except subprocess.TimeoutExpired:
                failure = "npm install took more than 300 s"
            if failure or not _installed():
                _state["skip"] = ("the npm registry could not be reached to install "
                                  f"{', '.join(PACKAGES)}: {failure or 'packages missing'}")
                raise unittest.SkipTest(_state["skip"])
    _state["dir"] = os.path.join(NPM_DIR, "node_modules")
    return _state["dir"]


def node(script, *args, stdin=None, timeout=30):
    """Runs tests/integration/node/SCRIPT with the installed packages."""
    env = dict(os.environ, NODE_PATH=node_modules())
    return subprocess.run(["node", os.path.join(SCRIPTS, script), *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout, env=env)


def verify_standard_webhook(secret, request):
    """The official verifier's verdict on one delivery the Receiver recorded:
    (True, payload) or (False, its error)."""
    r = node("verify_standard_webhook.js", stdin=json.dumps(
        {"secret": secret, "headers": request["headers"],
         "body": request["body"].decode()}))
    if r.returncode == 0:
        return True, json.loads(r.stdout)
    return False, (r.stderr or r.stdout).strip()


class NodeServer:
    """A node script serving HTTP on a loopback port it prints as its first
    line ({"port": N}); stopped with the test."""

    def __init__(self, script, *args):
        env = dict(os.environ, NODE_PATH=node_modules())
        self.log_path = os.path.join(ARTIFACTS, f"{script}.{os.getpid()}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(["node", os.path.join(SCRIPTS, script), *args],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        first = self.proc.stdout.readline()
        if not first:
            self.stop()
            with open(self.log_path) as f:
                raise AssertionError(f"{script} did not start:\n{f.read()}")
        self.port = json.loads(first)["port"]
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
