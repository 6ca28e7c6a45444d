"""A tiny W3C WebDriver client for chromedriver + Debian's headless chromium,
stdlib only (http.client + json). Just what the browser tests need:
navigate, find by CSS selector, click, type, read the URL, run a script,
take screenshots."""

import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from harness import terminate

CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
# The W3C "web element identifier".
ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"

CHROME_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
               "--window-size=1280,900"]


class WebDriverError(AssertionError):
    def __init__(self, method, path, status, value):
        self.status = status
        self.error = value.get("error") if isinstance(value, dict) else None
        msg = value.get("message", "") if isinstance(value, dict) else str(value)
        super().__init__(f"WebDriver {method} {path} -> HTTP {status} "
                         f"{self.error or ''}: {msg.splitlines()[0] if msg else ''}")


def missing_browser():
    """None if chromium and chromedriver are installed, else what is missing."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (os.path.isfile(p)
                                                          and os.access(p, os.X_OK))]
    if not missing:
        return None
    return ("headless browser tests need Debian's chromium and chromium-driver "
            f"(missing: {', '.join(missing)}); install them with `make deps` or "
            "`apt-get install -y chromium chromium-driver`")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Element:
    def __init__(self, session, element_id, selector):
        self.s = session
        self.id = element_id
        self.selector = selector

    def _path(self, suffix=""):
        return f"/element/{self.id}{suffix}"

    def click(self):
        self.s.cmd("POST", self._path("/click"), {})
        return self

    def send_keys(self, text):
        self.s.cmd("POST", self._path("/value"), {"text": text})
        return self

    def clear(self):
        self.s.cmd("POST", self._path("/clear"), {})
        return self

    def text(self):
        return self.s.cmd("GET", self._path("/text"))

    def attribute(self, name):
        return self.s.cmd("GET", self._path(f"/attribute/{name}"))

    def property(self, name):
        return self.s.cmd("GET", self._path(f"/property/{name}"))

    def selected(self):
        return self.s.cmd("GET", self._path("/selected"))

    def find(self, css):
        v = self.s.cmd("POST", self._path("/element"), {"using": "css selector", "value": css})
        return Element(self.s, v[ELEMENT_KEY], css)


class Chrome:
    """chromedriver on a free loopback port plus one headless chromium session.
    Always call quit() (it is safe to call twice)."""

    def __init__(self, artifacts=None, startup_timeout=30, page_load_timeout_s=30):
        why = missing_browser()
        if why:
            raise AssertionError(why)
        self.artifacts = artifacts or os.environ.get("IGBRIDGE_ARTIFACTS") or \
            tempfile.mkdtemp(prefix="igbridge-artifacts-")
        os.makedirs(self.artifacts, exist_ok=True)
        self.profile = tempfile.mkdtemp(prefix="igbridge-chromium-")
        self.port = _free_port()
        self.log_path = os.path.join(self.profile, "chromedriver.log")
        self.session_id = None
        self._logf = open(self.log_path, "w")
        self.proc = subprocess.Popen([CHROMEDRIVER, f"--port={self.port}"],
                                     stdout=self._logf, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        try:
            self._wait_ready(startup_timeout)
            caps = {"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "pageLoadStrategy": "normal",
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": CHROME_ARGS + [f"--user-data-dir={self.profile}/profile"],
                },
            }}}
            v = self._call("POST", "/session", caps, timeout=90)
            self.session_id = v["sessionId"]
            self.cmd("POST", "/timeouts", {"pageLoad": int(page_load_timeout_s * 1000),
                                           "script": 30000, "implicit": 0})
        except BaseException:
            self.quit()
            raise

    # -- transport -----------------------------------------------------------
    def _wait_ready(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"chromedriver exited with {self.proc.returncode}: "
                                     f"{self.driver_log()}")
            try:
                if self._call("GET", "/status", timeout=2).get("ready"):
                    return
            except (OSError, WebDriverError, ValueError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"chromedriver not ready after {timeout}s: {self.driver_log()}")

    def _call(self, method, path, body=None, timeout=60):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = None
            headers = {}
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json; charset=utf-8"
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            raw = r.read()
        finally:
            conn.close()
        try:
            value = json.loads(raw).get("value") if raw else None
        except ValueError:
            value = raw.decode(errors="replace")
        if r.status != 200:
            raise WebDriverError(method, path, r.status, value)
        return value

    def cmd(self, method, path, body=None, timeout=60):
        if not self.session_id:
            raise AssertionError("no WebDriver session")
        return self._call(method, f"/session/{self.session_id}{path}", body, timeout)

    def driver_log(self):
        try:
            with open(self.log_path) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    # -- commands ------------------------------------------------------------
    def get(self, url):
        self.cmd("POST", "/url", {"url": url})
        return self

    def refresh(self):
        self.cmd("POST", "/refresh", {})
        return self

    def current_url(self):
        return self.cmd("GET", "/url")

    def title(self):
        return self.cmd("GET", "/title")

    def source(self):
        return self.cmd("GET", "/source")

    def find(self, css):
        v = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        return Element(self, v[ELEMENT_KEY], css)

    def find_all(self, css):
        v = self.cmd("POST", "/elements", {"using": "css selector", "value": css})
        return [Element(self, e[ELEMENT_KEY], css) for e in v]

    def wait_for(self, css, timeout=20):
        """The first element matching css, waiting for it to appear."""
        deadline = time.time() + timeout
        while True:
            found = self.find_all(css)
            if found:
                return found[0]
            if time.time() > deadline:
                raise AssertionError(f"no element {css!r} on {self.current_url()} after "
                                     f"{timeout}s; page:\n{self.source()[:2000]}")
            time.sleep(0.2)

    def wait_url(self, pred, timeout=20, what="URL"):
        deadline = time.time() + timeout
        url = None
        while time.time() < deadline:
            url = self.current_url()
            if pred(url):
                return url
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; browser is at {url}")

    def execute(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def screenshot(self, name):
        """Saves a PNG in the artifacts directory and returns its path."""
        png = base64.b64decode(self.cmd("GET", "/screenshot"))
        path = os.path.join(self.artifacts, name if name.endswith(".png") else name + ".png")
        with open(path, "wb") as f:
            f.write(png)
        return path

    def quit(self):
        if self.session_id:
            try:
                self._call("DELETE", f"/session/{self.session_id}", timeout=20)
            except Exception:
                pass
            self.session_id = None
        if self.proc:
            terminate(self.proc, 10)
        if self.proc:
            # chromedriver runs in its own process group (ours): reap any
            # chromium it left behind if the session did not close cleanly.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        if self._logf and not self._logf.closed:
            self._logf.close()
        shutil.rmtree(self.profile, ignore_errors=True)
