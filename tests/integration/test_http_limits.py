"""The listener's limits: big bodies, big headers, slow clients, bad HTTP,
unknown routes; the daemon keeps serving through all of them."""

import socket
import time
import unittest

from harness import DaemonTest, Fakegram, Igbridge, get, post, request


class Limits(DaemonTest):
    def setUp(self):
        super().setUp()
        self.fg = self.track(Fakegram("graph"))
        self.ig = self.track(Igbridge(self.fg)).start()

    def assertServing(self):
        self.assertEqual(get(self.ig.public + "/livez").status, 200)
        self.assertEqual(get(self.ig.admin + "/readyz").status, 200)

    def test_body_too_large(self):
        r = post(self.ig.public + "/hooks/instagram", b"x" * (2 * 1024 * 1024),
                 headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 413)
        self.assertServing()

    def test_header_too_large(self):
        r = get(self.ig.public + "/livez", headers={"X-Big": "a" * (16 * 1024)})
        self.assertEqual(r.status, 431)
        self.assertServing()

    def test_slow_client_dropped_at_deadline(self):
        s = socket.create_connection(("127.0.0.1", self.ig.port))
        s.sendall(b"POST /hooks/instagram HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        t0 = time.time()
        s.settimeout(20)
        data = s.recv(1024)  # the server closes: b"" (no answer owed)
        elapsed = time.time() - t0
        s.close()
        self.assertEqual(data, b"")
        self.assertGreater(elapsed, 8)
        self.assertLess(elapsed, 15)
        self.assertServing()

    def test_trickling_client_dropped_too(self):
        """Sending a byte now and then does not extend the deadline."""
        s = socket.create_connection(("127.0.0.1", self.ig.port))
        t0 = time.time()
        closed = False
        try:
            for ch in b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 40:
                s.sendall(bytes([ch]))
                time.sleep(0.25)
                if time.time() - t0 > 14:
                    break
        except (BrokenPipeError, ConnectionResetError):
            closed = True
        if not closed:
            s.settimeout(5)
            try:
                closed = s.recv(1024) == b""
            except ConnectionResetError:
                closed = True
        s.close()
        self.assertTrue(closed)
        self.assertLess(time.time() - t0, 16)
        self.assertServing()

    def test_malformed_http(self):
        s = socket.create_connection(("127.0.0.1", self.ig.port))
        s.sendall(b"GARBAGE\x01 / HTTP/9.9\r\n\r\n")
        s.settimeout(5)
        data = s.recv(1024)
        s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 400"), data)
        self.assertServing()

    def test_unknown_route_and_method(self):
        r = get(self.ig.public + "/nope")
        self.assertEqual(r.status, 404)
        self.assertIn("error", r.json())
        r = post(self.ig.public + "/livez")
        self.assertEqual(r.status, 405)
        self.assertIn("error", r.json())
        r = request("PUT", self.ig.admin + "/users/alice")
        self.assertEqual(r.status, 405)
        self.assertServing()

    def test_keep_alive(self):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.ig.port, timeout=5)
        for _ in range(3):
            conn.request("GET", "/livez")
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
        conn.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
