"""Real-browser end to end (issue 5, "Must show" 2): headless Debian chromium
driven over chromedriver's W3C WebDriver API. A host page's "Connect
Instagram" link -> igbridge -> fakegram's consent page (Allow) -> back on the
host page with instagram=connected; then a photo posted on fakegram's demo
page shows up, thumbnail and all, in igbridge's HTML dashboard: the
thumbnail is igbridge's stored copy, loaded from igbridge.
Screenshots are kept in $IGBRIDGE_ARTIFACTS/browser/."""

import html
import os
import tempfile
import threading
import time
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import DaemonTest, Fakegram, Igbridge, free_port, wait_until
from webdriver import Chrome, missing_browser

CAPTION = "Lentil soup #eatdifferent"


class HostPage:
    """The product that embeds igbridge: `/` has the Connect link, `/settings`
    is the success_url and echoes its query string."""

    def __init__(self):
        self.link = "#"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                if u.path == "/":
                    body = ("<!doctype html><html><head><meta charset='utf-8'>"
                            "<title>Host app</title></head><body><h1>Host app</h1>"
                            f"<p><a id='connect' href='{html.escape(outer.link, quote=True)}'>"
                            "Connect Instagram</a></p></body></html>")
                elif u.path == "/settings":
                    q = urllib.parse.parse_qs(u.query)
                    state = q.get("instagram", [""])[0]
                    body = ("<!doctype html><html><head><meta charset='utf-8'>"
                            "<title>Host app settings</title></head><body><h1>Settings</h1>"
                            f"<p id='instagram'>instagram={html.escape(state)}</p>"
                            f"<p id='query'>{html.escape(u.query)}</p></body></html>")
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def artifacts_dir():
    root = os.environ.get("IGBRIDGE_ARTIFACTS") or tempfile.mkdtemp(prefix="igbridge-artifacts-")
    path = os.path.join(root, "browser")
    os.makedirs(path, exist_ok=True)
    return path


class BrowserEndToEnd(DaemonTest):
    def setUp(self):
        super().setUp()
        # Not a skip: `make deps` installs chromium and chromium-driver.
        why = missing_browser()
        if why:
            self.fail(why)
        self.shots = []
        self.browser = None
        self.artifacts = artifacts_dir()

    def tearDown(self):
        try:
            if self.browser:
                failed = self._failed()
                if failed:
                    try:
                        self.shot("failure")
                    except Exception:
                        pass
                    print(f"\n--- chromedriver log ---\n{self.browser.driver_log()}")
                self.browser.quit()
        finally:
            super().tearDown()
            if self.shots:
                print("\nscreenshots:\n  " + "\n  ".join(self.shots))

    def _failed(self):
        result = getattr(self._outcome, "result", None)
        if result is None:
            return False
        return any(t is self for t, _ in result.errors + result.failures)

    def shot(self, name):
        path = self.browser.screenshot(f"{len(self.shots) + 1:02d}-{name}")
        self.shots.append(path)
        return path

    def test_connect_post_and_see_it_in_the_dashboard(self):
        host = self.track(HostPage())
        port = free_port()
        # media_webhooks: the demo convenience (the real API has no webhook for own posts)
        fg = self.track(Fakegram("graph", webhook_url=f"http://127.0.0.1:{port}/hooks/instagram",
                                 media_webhooks=True))
        ig = Igbridge(fg, port=port, import_overrides={"webhook_delay_s": 1})
        ig.success_url = host.base + "/settings"
        ig.sections["link"]["success_url"] = ig.success_url
        ig.write_config()
        self.track(ig).start()
        acct = fg.account("alice.cooks")
        host.link = ig.signed_link_url("alice")

        self.browser = Chrome(artifacts=self.artifacts)
        b = self.browser

        # 1. The host page and its Connect link.
        b.get(host.base + "/")
        connect = b.wait_for("#connect")
        self.assertEqual(connect.text(), "Connect Instagram")
        self.shot("host-page")

        # 2. igbridge sends the browser on to fakegram's consent page. A
        # first try is cancelled: Meta's cancel redirect carries no state,
        # and the attempt's cookie still takes the person back to the app.
        def to_consent():
            b.get(host.base + "/")
            b.wait_for("#connect").click()
            return b.wait_url(lambda u: urllib.parse.urlsplit(u).path == "/oauth/authorize"
                              and u.startswith(fg.base),
                              timeout=30, what="fakegram's consent page")

        to_consent()
        b.wait_for("#deny").click()
        cancelled = b.wait_url(lambda u: u.startswith(ig.success_url), timeout=30,
                               what=f"the cancel back to {ig.success_url}")
        cq = urllib.parse.parse_qs(urllib.parse.urlsplit(cancelled).query)
        self.assertEqual(cq.get("instagram"), ["error"], cancelled)
        self.assertEqual(cq.get("reason"), ["denied"], cancelled)
        self.shot("cancelled")
        self.assertEqual(ig.user("alice").status, 404)

        consent = to_consent()
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(consent).query)
        self.assertEqual(q.get("client_id"), ["1234567890"], consent)
        self.assertTrue(q.get("state"), f"no state in {consent}")
        radio = b.wait_for("#account-alice\\.cooks")
        self.shot("consent")
        radio.click()
        self.assertTrue(radio.selected(), "the alice.cooks radio did not get selected")

        # 3. Allow -> igbridge's callback -> the host page's success_url.
        b.find("#allow").click()
        final = b.wait_url(lambda u: u.startswith(ig.success_url), timeout=30,
                           what=f"redirect back to {ig.success_url}")
        fq = urllib.parse.parse_qs(urllib.parse.urlsplit(final).query)
        self.assertEqual(fq.get("instagram"), ["connected"], f"browser ended at {final}")
        self.assertEqual(b.find("#instagram").text(), "instagram=connected")
        self.shot("connected")
        u = ig.user_json("alice")
        self.assertTrue(u["linked"], u)
        self.assertEqual(u["instagram_user_id"], acct["id"])
        self.assertEqual(u["username"], "alice.cooks")
        # Let the initial fetch finish so the new post arrives through the webhook.
        wait_until(lambda: ig.user_json("alice").get("last_fetch_at"), timeout=20,
                   what="igbridge's initial fetch for alice")

        # 4. Post a photo on fakegram's demo page.
        b.get(fg.base + "/")
        select = b.wait_for("select#account")
        opt = b.find(f"select#account option[value='{acct['id']}']")
        self.assertEqual(opt.text(), "alice.cooks")
        select.click()
        opt.click()
        self.assertTrue(opt.selected(), "alice.cooks not selected in the post form")
        caption = b.find("#caption")
        caption.clear()
        caption.send_keys(CAPTION)
        b.find("#post").click()
        b.wait_for("#posts figure", timeout=20)
        self.assertIn(CAPTION, b.find("#posts").text())
        self.shot("fakegram-posted")
        imported = wait_until(lambda: [x for x in ig.imports() if x.get("caption") == CAPTION],
                              timeout=20, interval=0.2, what="the import in the JSONL sink")
        media_url = imported[0]["media_url"]

        # 5. The dashboard (admin /status as text/html) shows it with its thumbnail.
        b.get(ig.admin + "/status")
        deadline = time.time() + 20
        found = None
        while True:
            found = b.execute(
                "const cap = arguments[0];"
                "for (const el of document.querySelectorAll('.import')) {"
                "  const img = el.querySelector('img.thumb');"
                "  if (img && el.textContent.includes(cap))"
                "    return {src: img.src, complete: img.complete, w: img.naturalWidth};"
                "}"
                "return null;", CAPTION)
            if found and found["complete"]:
                break
            if time.time() > deadline:
                self.shot("dashboard-timeout")
                self.fail(f"the dashboard at {ig.admin}/status shows no .import with "
                          f"img.thumb and caption {CAPTION!r} after 20 s (found {found!r}); "
                          f"page starts:\n{b.source()[:1500]}")
            time.sleep(0.5)
            b.refresh()
        stored = imported[0]["media"][0]["url"]
        self.assertEqual(found["src"], stored,
                         f"thumbnail src {found['src']!r} is not igbridge's stored copy")
        self.assertTrue(found["src"].startswith(ig.public + "/media/"), found["src"])
        self.assertNotEqual(found["src"], media_url)
        width = b.execute("return document.querySelector('.import img.thumb').naturalWidth")
        self.assertGreater(width or 0, 0, "the dashboard thumbnail did not load in the browser")
        self.shot("dashboard")


if __name__ == "__main__":
    unittest.main(verbosity=2)
