"""Integration test harness: starts the real igbridge and fakegram binaries
on loopback ports and talks HTTP to them (stdlib only)."""

import hashlib
import hmac
import http.client
import http.cookiejar
import json
import re
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IGBRIDGE = os.environ.get("IGBRIDGE_BIN", "build/igbridge")
FAKEGRAM = os.environ.get("FAKEGRAM_BIN", "build/fakegram")
ARTIFACTS = os.environ.get("IGBRIDGE_ARTIFACTS", tempfile.gettempdir())
os.makedirs(ARTIFACTS, exist_ok=True)  # soak and single tests may run first
CLIENT_ID = "1234567890"


def free_port():
    """A port the kernel just handed out; tiny race, fine on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def terminate(proc, timeout=5):
    """SIGTERM, then SIGKILL if `proc` has not exited within `timeout` s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def all_headers(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]


def request(method, url, body=None, headers=None, timeout=30):
    """One HTTP exchange without following redirects."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    hdrs = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
    try:
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def get(url, **kw):
    return request("GET", url, **kw)


def post(url, body=None, **kw):
    return request("POST", url, body=body, **kw)


class Browser:
    """Follows redirects by hand with a cookie jar, like a browser would,
    stopping at the first URL outside the hosts it was told to follow."""

    def __init__(self):
        self.cookies = {}  # host:port -> {name: value}

    def _cookie_header(self, netloc):
        jar = self.cookies.get(netloc, {})
        return "; ".join(f"{k}={v}" for k, v in jar.items())

    def _store(self, netloc, resp):
        for sc in resp.all_headers("Set-Cookie"):
            first = sc.split(";")[0]
            name, _, value = first.partition("=")
            attrs = sc.lower()
            if "max-age=0" in attrs or value == "":
                self.cookies.get(netloc, {}).pop(name.strip(), None)
            else:
                self.cookies.setdefault(netloc, {})[name.strip()] = value.strip()

    def get(self, url):
        u = urllib.parse.urlsplit(url)
        headers = {}
        c = self._cookie_header(u.netloc)
        if c:
            headers["Cookie"] = c
        r = get(url, headers=headers)
        self._store(u.netloc, r)
        return r

    def follow(self, url, stop_netlocs=(), max_hops=10):
        """Returns (final_url, last_response): stops at a non-redirect or
        at a redirect to a netloc in stop_netlocs."""
        for _ in range(max_hops):
            r = self.get(url)
            if r.status not in (301, 302, 303, 307):
                return url, r
            nxt = urllib.parse.urljoin(url, r.header("Location"))
            if urllib.parse.urlsplit(nxt).netloc in stop_netlocs:
                return nxt, r
            url = nxt
        raise AssertionError("too many redirects")


class Fakegram:
    """The fake Instagram (tests/fakegram). `media_webhooks` makes graph posts
    send an update, a demo convenience the real API lacks; the deauthorize and
    data-deletion URLs are where igbridge's callbacks are."""

    def __init__(self, dialect="graph", client_secret=None, webhook_url=None, verify_token=None,
                 app_id=None, media_webhooks=False, media_url_ttl_s=None, deauthorize_url=None,
                 data_deletion_url=None, meta_app_secret=None, flags=()):
        """`meta_app_secret`: the Meta app's own secret (DESIGN 9), distinct
        from the Instagram app's; `flags`: more command-line flags
        (--sign-with, --cancel-with-state, --wrapped-token, ...)."""
        self.dialect = dialect
        self.client_secret = client_secret or secrets.token_hex(16)
        self.meta_app_secret = meta_app_secret
        self.app_id = app_id or CLIENT_ID
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [FAKEGRAM, "--listen", f"127.0.0.1:{self.port}", "--dialect", dialect,
                "--client-id", CLIENT_ID, "--client-secret", self.client_secret]
        if app_id:
            args += ["--app-id", app_id]
        if webhook_url:
            args += ["--webhook-url", webhook_url]
        if verify_token:
            args += ["--verify-token", verify_token]
        if media_webhooks:
            args += ["--media-webhooks"]
        if media_url_ttl_s is not None:
            args += ["--media-url-ttl-s", str(media_url_ttl_s)]
        if deauthorize_url:
            args += ["--deauthorize-url", deauthorize_url]
        if data_deletion_url:
            args += ["--data-deletion-url", data_deletion_url]
        if meta_app_secret:
            args += ["--meta-app-secret", meta_app_secret]
        args += list(flags)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        line = self.proc.stdout.readline()
        if "listening" not in line:
            raise RuntimeError("fakegram did not start: " + line)
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for _ in self.proc.stdout:
            pass

    def account(self, username):
        """{"id" (professional account id), "username", "app_scoped_id"}"""
        return post(self.base + "/_fake/accounts", {"username": username}).json()

    def post_media(self, account_id, caption, tags=None, **extra):
        """Posts and returns the media id. `extra`: media_type ("IMAGE" |
        "VIDEO" | "CAROUSEL_ALBUM"), children (2-10), caption_after_s,
        no_media_url, created_time, video_bytes (a VIDEO of that size)."""
        body = {"caption": caption}
        if tags is not None:
            body["tags"] = tags
        body.update(extra)
        r = post(f"{self.base}/_fake/accounts/{account_id}/media", body)
        assert r.status in (200, 201), r.body
        return r.json()["id"]

    def media(self, account_id, media_id):
        """{"id","caption","media_type",…,"files":[{"url","sha256","content_type","bytes",…}]}"""
        r = get(f"{self.base}/_fake/accounts/{account_id}/media/{media_id}")
        assert r.status == 200, r.body
        return r.json()

    def edit_caption(self, account_id, media_id, caption, tags=None):
        body = {"caption": caption}
        if tags is not None:
            body["tags"] = tags
        r = request("PATCH", f"{self.base}/_fake/accounts/{account_id}/media/{media_id}", body=body)
        assert r.status == 200, r.body
        return r.json()

    def mention(self, account_id, **value):
        """Sends a signed mentions update; {"status": igbridge's status, "body": its answer}."""
        return post(f"{self.base}/_fake/accounts/{account_id}/mention", value).json()

    def deauthorize(self, account_id, **kw):
        """kw: issued_at, user_id, revoke. {"status","body","signed_request","revoked"}"""
        return post(f"{self.base}/_fake/accounts/{account_id}/deauthorize", kw).json()

    def data_deletion(self, account_id, **kw):
        """kw: issued_at, user_id, revoke. {"status","body","signed_request","revoked"}"""
        return post(f"{self.base}/_fake/accounts/{account_id}/data-deletion", kw).json()

    def age_tokens(self, account_id, seconds):
        """Makes the account's tokens `seconds` older (refresh after 24 h, expiry after 60 days)."""
        return post(f"{self.base}/_fake/accounts/{account_id}/age", {"seconds": seconds}).json()

    def faults(self, **kw):
        """kw: status, delay_ms, malformed, rate_limit (True | "app" | "buc"),
        regain_minutes, error_code, error_subcode, account, target ("api" | "cdn"), count."""
        return post(self.base + "/_fake/faults", kw).json()

    def stats(self):
        """Calls by "METHOD /path", the Graph API version prefix (/v23.0) left out."""
        calls = {}
        for k, v in get(self.base + "/_fake/stats").json()["calls"].items():
            k = re.sub(r"^(\S+) /v\d+\.\d+/", r"\1 /", k)
            calls[k] = calls.get(k, 0) + v
        return calls

    def calls(self, key):
        return self.stats().get(key, 0)

    def media_calls(self):
        return sum(v for k, v in self.stats().items()
                   if k.startswith("GET /me/media") or k.endswith("/media/recent"))

    def cdn_calls(self):
        return self.calls("GET /cdn")

    def account_info(self, account_id):
        return get(f"{self.base}/_fake/accounts/{account_id}").json()

    def tokens(self, account_id):
        return self.account_info(account_id)["tokens"]

    def revoke(self, account_id):
        return post(f"{self.base}/_fake/accounts/{account_id}/revoke", {}).json()

    def stop(self):
        terminate(self.proc)


class Igbridge:
    """One daemon with its own state directory, config and secret files."""

    def __init__(self, fakegram, dialect=None, workdir=None, sink=None, extra=None,
                 key=False, admin_token=None, import_overrides=None, verify_token="verify-me",
                 port=None):
        self.fg = fakegram
        self.dialect = dialect or fakegram.dialect
        self.dir = workdir or tempfile.mkdtemp(prefix="igbridge-it-", dir=ARTIFACTS)
        self.own_dir = workdir is None  # removed after a passing test
        self.port = port or free_port()
        self.admin_port = free_port()
        self.public = f"http://127.0.0.1:{self.port}"
        self.admin = f"http://127.0.0.1:{self.admin_port}"
        self.success_url = "http://127.0.0.1:9/app/settings"
        self.link_secret = "link-" + secrets.token_hex(8)
        self.verify_token = verify_token
        self.admin_token = admin_token
        self.jsonl = os.path.join(self.dir, "imports.jsonl")
        self.log_path = os.path.join(self.dir, "igbridge.log")
        self.proc = None
        self.write_secret("client_secret", fakegram.client_secret)
        # The Meta app's secret (DESIGN 9): fakegram's own when it has a
        # distinct one, else the single secret it was started with.
        self.write_secret("meta_app_secret",
                          getattr(fakegram, "meta_app_secret", None) or fakegram.client_secret)
        self.write_secret("link_secret", self.link_secret)
        self.write_secret("verify_token", verify_token)
        if key:
            self.write_secret("storage_key", secrets.token_hex(32))
        if admin_token:
            self.write_secret("admin_token", admin_token)
        imp = {"tags": ["eatdifferent", "ed"], "block": ["nofood"], "initial_count": 20,
               "update_count": 3, "webhook_delay_s": 2, "poll": True,
               "poll_tiers_s": [900, 3600, 21600, 86400]}
        imp.update(import_overrides or {})
        self.sections = {
            "server": {"listen": f"127.0.0.1:{self.port}", "public_url": self.public,
                       "threads": 2},
            "admin": {"listen": f"127.0.0.1:{self.admin_port}",
                      "token_file": self.secret_path("admin_token") if admin_token else ""},
            "storage": {"path": os.path.join(self.dir, "db"),
                        "key_file": self.secret_path("storage_key") if key else ""},
            "instagram": {"dialect": self.dialect, "client_id": CLIENT_ID,
                          "client_secret_file": self.secret_path("client_secret"),
                          "meta_app_secret_file": self.secret_path("meta_app_secret"),
                          "verify_token_file": self.secret_path("verify_token"),
                          "authorize_url": fakegram.base + "/oauth/authorize",
                          "token_url": fakegram.base + "/oauth/access_token",
                          "graph_url": fakegram.base,
                          "facebook_graph_url": fakegram.base,
                          "app_id": fakegram.app_id,
                          "api_url": fakegram.base + "/v1"},
            "link": {"secret_file": self.secret_path("link_secret"),
                     "success_url": self.success_url, "ttl_s": 600},
            "import": imp,
            "sink": sink or {"type": "jsonl", "path": self.jsonl,
                             "retry_schedule_s": [1, 1, 1]},
            "log": {"level": "debug"},
        }
        for section, values in (extra or {}).items():
            self.sections.setdefault(section, {}).update(values)
        self.config_path = os.path.join(self.dir, "igbridge.toml")
        self.write_config()

    # -- files ---------------------------------------------------------------
    def secret_path(self, name):
        return os.path.join(self.dir, "secrets", name)

    def write_secret(self, name, value):
        os.makedirs(os.path.join(self.dir, "secrets"), exist_ok=True)
        with open(self.secret_path(name), "w") as f:
            f.write(value + "\n")

    def write_config(self):
        with open(self.config_path, "w") as f:
            f.write(to_toml(self.sections))

    # -- process -------------------------------------------------------------
    def start(self, wait=True, env=None, wrap=(), pass_fds=()):
        """`env`: extra environment variables for the daemon (added to ours);
        `wrap`: a command that execs the daemon's command line given after
        it (`prlimit --nofile=…`, `unshare …`), so the pid stays the daemon's;
        `pass_fds`: descriptors the daemon (or `wrap`) inherits."""
        self.logf = open(self.log_path, "a")
        full_env = {**os.environ, **env} if env else None
        self.proc = subprocess.Popen([*wrap, IGBRIDGE, "serve", "-c", self.config_path],
                                     stdout=self.logf, stderr=subprocess.STDOUT, env=full_env,
                                     pass_fds=pass_fds)
        if wait:
            wait_until(self._ready, timeout=20, what="igbridge /readyz")
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"igbridge exited with {self.proc.returncode}:\n{self.log()}")
        try:
            return get(self.admin + "/readyz", headers=self.auth(), timeout=2).status == 200
        except OSError:
            return False

    def auth(self):
        return {"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("igbridge did not stop in time")
        if self.proc:
            self.logf.close()
        return self.proc.returncode if self.proc else None

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.logf.close()

    def restart(self):
        self.stop()
        return self.start()

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def cli(self, *args, check=False):
        r = subprocess.run([IGBRIDGE, *args, "-c", self.config_path], capture_output=True,
                           text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError(f"igbridge {args} failed: {r.stdout}{r.stderr}")
        return r

    # -- API -----------------------------------------------------------------
    def link_url(self, user, ttl=None):
        args = ["link-url", "--user", user]
        if ttl is not None:
            args += ["--ttl", str(ttl)]
        return self.cli(*args, check=True).stdout.strip()

    def user(self, user):
        return get(f"{self.admin}/users/{urllib.parse.quote(user)}", headers=self.auth())

    def user_json(self, user):
        r = self.user(user)
        assert r.status == 200, (r.status, r.body)
        return r.json()

    def fetch_now(self, user):
        return post(f"{self.admin}/users/{urllib.parse.quote(user)}/fetch", headers=self.auth())

    def link(self, user, username, browser=None, fast=False):
        """The whole link flow with fakegram's as= shortcut; returns the
        success URL the browser ends at. `fast` signs the connect link here
        instead of asking `igbridge link-url`."""
        b = browser or Browser()
        start = self.signed_link_url(user) if fast else self.link_url(user)
        r = b.get(start)
        assert r.status == 302, (r.status, r.body)
        authorize = r.header("Location") + "&as=" + urllib.parse.quote(username)
        stop = {urllib.parse.urlsplit(self.success_url).netloc}
        final, _ = b.follow(authorize, stop_netlocs=stop)
        return final

    def signed_link_url(self, user, ttl=600):
        """The connect link without spawning the CLI (for many users)."""
        exp = int(time.time()) + ttl
        sig = hmac.new(self.link_secret.encode(), f"{user}.{exp}".encode(),
                       hashlib.sha256).hexdigest()
        return (f"{self.public}/oauth/instagram/start?user={urllib.parse.quote(user)}"
                f"&exp={exp}&sig={sig}")

    def imports(self):
        try:
            with open(self.jsonl) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def metrics_text(self):
        return get(self.admin + "/metrics", headers=self.auth()).body.decode()


def to_toml(sections):
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(v)

    out = []
    for name, kv in sections.items():
        out.append(f"[{name}]")
        for k, v in kv.items():
            out.append(f"{k} = {value(v)}")
        out.append("")
    return "\n".join(out)


def sign_sha256(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sign_sha1(secret, body):
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


class Receiver:
    """A local HTTP endpoint for sinks: records requests (header names in
    lower case) and answers with the statuses queued in `answers`, then
    `default_status`. `check(headers, body)` returning False answers 401,
    as a host app does for a bad signature; `delay` makes a slow endpoint.
    `media_only`: account events (account.*, link.revoked) are answered 200
    and kept apart in `account_events`, so a test of media deliveries sees
    only them (DESIGN §9 added account.linked before a user's first import)."""

    def __init__(self, default_status=200, delay=0.0, answers=(), check=None, path="/hook",
                 media_only=False):
        self.requests = []
        self.account_events = []
        self.media_only = media_only
        self.answers = list(answers)
        self.default_status = default_status
        self.delay = delay  # seconds slept before each answer (a slow endpoint)
        self.check = check
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _handle(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                headers = {k.lower(): v for k, v in self.headers.items()}
                valid = outer.check(headers, body) if outer.check else True
                if outer.media_only and valid and not Receiver._is_media(body):
                    with outer.lock:
                        outer.account_events.append({"headers": headers, "body": body})
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with outer.lock:
                    if not valid:
                        status = 401
                    elif outer.answers:
                        status = outer.answers.pop(0)
                    else:
                        status = outer.default_status
                    outer.requests.append({"method": self.command, "path": self.path,
                                           "headers": headers, "body": body, "valid": valid,
                                           "status": status, "at": time.time()})
                if outer.delay:
                    time.sleep(outer.delay)
                self.send_response(status)
                if status == 201:
                    self.send_header("Location", f"http://127.0.0.1:{outer.port}/post/1")
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = _handle
            do_GET = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def _is_media(body):
        try:
            kind = json.loads(body).get("type", "")
        except (ValueError, AttributeError):
            return True
        return not (kind.startswith("account.") or kind == "link.revoked")

    def accepted(self):
        with self.lock:
            return [r for r in self.requests if 200 <= r["status"] < 300]

    def count(self):
        with self.lock:
            return len(self.requests)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class DaemonTest(unittest.TestCase):
    """Base class: stops every started process and keeps logs on failure."""

    def setUp(self):
        self._procs = []

    def track(self, p):
        self._procs.append(p)
        return p

    def tearDown(self):
        failed = any(e for _, e in (self._outcome.result.errors + self._outcome.result.failures)
                     if _ is self) if hasattr(self._outcome, "result") else False
        for p in reversed(self._procs):
            try:
                p.stop()
            except Exception:
                pass
            if isinstance(p, Igbridge) and failed:
                print(f"\n--- igbridge log ({p.dir}) ---\n{p.log()[-6000:]}")
        if not failed and not os.environ.get("IGBRIDGE_KEEP"):
            # A failed test keeps its state directories for a look (any test
            # does with IGBRIDGE_KEEP=1).
            for p in self._procs:
                if isinstance(p, Igbridge) and p.own_dir:
                    shutil.rmtree(p.dir, ignore_errors=True)
