"""Issue 5, must-show 1: /metrics parses as Prometheus text (with a real
parser) and its counters move exactly as a scripted scenario says; /status
(JSON and the HTML dashboard) tells the same story."""

import json
import re
import time
import unittest

from prometheus_client.parser import text_string_to_metric_families

from harness import DaemonTest, Fakegram, Igbridge, get, post, sign_sha256, wait_until
from pipeline import link_alice, media_records, parse_time


def parse_metrics(text):
    """{(sample name, frozenset(labels)): value}, plus {family: type}. Fails
    the test when the text is not valid Prometheus exposition format."""
    samples = {}
    types = {}
    for fam in text_string_to_metric_families(text):
        types[fam.name] = fam.type
        for s in fam.samples:
            key = (s.name, frozenset(s.labels.items()))
            assert key not in samples, f"duplicate sample {key}"
            samples[key] = s.value
    return samples, types


def val(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def graph_payload(*ids):
    return json.dumps({"object": "instagram", "entry": [
        {"id": i, "time": int(time.time()),
         "changes": [{"field": "mentions", "value": {"media_id": "1"}}]} for i in ids]}).encode()


class MetricsAndStatus(DaemonTest):
    def setUp(self):
        super().setUp()
        self.fg = self.track(Fakegram("graph"))
        # A long webhook delay: the hint below is recorded but its fetch
        # does not run during the test, so the fetch counters stay exact.
        self.ig = self.track(Igbridge(self.fg, import_overrides={"webhook_delay_s": 600}))
        self.ig.start()

    def scrape(self):
        r = get(self.ig.admin + "/metrics")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/plain"), r.header("Content-Type"))
        text = r.body.decode()
        try:
            return parse_metrics(text) + (text,)
        except Exception as e:  # the parser's ValueError and friends
            self.fail(f"/metrics does not parse as Prometheus text: {e!r}\n{text}")

    def test_exposition_format_and_names(self):
        samples, types, text = self.scrape()
        self.assertTrue(types, "no metric families at all")
        for name, typ in types.items():
            self.assertTrue(name.startswith("igbridge_"), name)
        # The parser folds a counter's "_total" away from the family name;
        # the declared names in the text itself must carry it.
        declared = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
        self.assertEqual(len(declared), len(types))
        for name, typ in declared.items():
            self.assertTrue(name.startswith("igbridge_"), name)
            if typ == "counter":
                self.assertTrue(name.endswith("_total"), f"counter {name} lacks _total")
            if name.endswith("_total"):
                self.assertEqual(typ, "counter", name)
        for line in text.splitlines():
            if line and not line.startswith("#"):
                self.assertTrue(line.startswith("igbridge_"), line)
        # units in names for the durations and sizes an operator graphs
        for name in ("igbridge_lmdb_used_bytes", "igbridge_lmdb_map_size_bytes",
                     "igbridge_outbox_oldest_age_seconds", "igbridge_uptime_seconds"):
            self.assertIn(name, declared)
        self.assertEqual(declared.get("igbridge_build_info"), "gauge")
        info = [k for k in samples if k[0] == "igbridge_build_info"]
        self.assertEqual(len(info), 1)
        labels = dict(info[0][1])
        self.assertEqual(labels.get("dialect"), "graph")
        self.assertTrue(labels.get("version"))
        self.assertEqual(samples[info[0]], 1)

    def test_scripted_scenario(self):
        fg, ig = self.fg, self.ig
        acct = fg.account("alice.cooks")
        # posted oldest first: the newest is "Dinner"
        lunch = fg.post_media(acct["id"], "Lunch bowl #eatdifferent")
        fg.post_media(acct["id"], "Commute selfie")
        time.sleep(1.1)  # distinct taken_at seconds, so "newest first" is well defined
        dinner = fg.post_media(acct["id"], "Dinner #ed")

        before, _, _ = self.scrape()
        link_alice(self, fg, ig)
        wait_until(lambda: val(self.scrape()[0], "igbridge_deliveries_total",
                               outcome="delivered") >= val(before, "igbridge_deliveries_total",
                                                           outcome="delivered") + 2,
                   what="2 deliveries")
        after, _, _ = self.scrape()

        def delta(name, **labels):
            return val(after, name, **labels) - val(before, name, **labels)

        self.assertEqual(delta("igbridge_media_total", result="imported"), 2)
        self.assertEqual(delta("igbridge_media_total", result="untagged"), 1)
        self.assertEqual(delta("igbridge_media_total", result="blocked"), 0)
        self.assertEqual(delta("igbridge_media_total", result="duplicate"), 0)
        self.assertEqual(delta("igbridge_fetches_total", outcome="ok"), 1)
        # the two imports and account.linked
        self.assertEqual(delta("igbridge_deliveries_total", outcome="delivered"), 3)
        self.assertEqual(delta("igbridge_deliveries_total", outcome="retry"), 0)
        self.assertEqual(delta("igbridge_deliveries_total", outcome="dead"), 0)
        self.assertEqual(delta("igbridge_link_attempts_total", outcome="connected"), 1)
        self.assertEqual(delta("igbridge_fetch_duration_seconds_count"), 1)
        self.assertEqual(val(after, "igbridge_users", state="active"), 1)
        self.assertEqual(val(after, "igbridge_users", state="reauth_required"), 0)
        self.assertEqual(val(after, "igbridge_outbox_depth"), 0)
        self.assertEqual(val(after, "igbridge_dead_letters"), 0)
        self.assertEqual(val(after, "igbridge_scheduled_fetches"), 1)
        self.assertEqual(len(media_records(ig)), 2)

        # a signed webhook and an unsigned one
        before = after
        body = graph_payload(acct["id"])
        r = post(ig.public + "/hooks/instagram", body,
                 headers={"Content-Type": "application/json",
                          "X-Hub-Signature-256": sign_sha256(fg.client_secret, body)})
        self.assertEqual(r.status, 200, r.body)
        r = post(ig.public + "/hooks/instagram", body,
                 headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 403)
        after, _, _ = self.scrape()
        self.assertEqual(delta("igbridge_webhook_updates_total", result="accepted"), 1)
        self.assertEqual(delta("igbridge_webhook_updates_total", result="missing_signature"), 1)
        self.assertEqual(delta("igbridge_webhook_updates_total", result="bad_signature"), 0)
        self.assertEqual(delta("igbridge_webhook_commits_total"), 1)
        self.assertEqual(delta("igbridge_webhook_ack_duration_seconds_count"), 1)
        self.assertGreater(val(after, "igbridge_webhook_ack_duration_seconds_bucket", le="+Inf"),
                           0)
        self.assertEqual(delta("igbridge_http_requests_total", listener="public",
                               route="/hooks/instagram", status="403"), 1)
        self.assertEqual(delta("igbridge_http_requests_total", listener="public",
                               route="/hooks/instagram", status="200"), 1)
        # the hint waits 600 s: no fetch, no import moved
        self.assertEqual(delta("igbridge_fetches_total", outcome="ok"), 0)
        self.assertEqual(delta("igbridge_media_total", result="imported"), 0)

        # /status JSON: the same picture
        r = get(ig.admin + "/status", headers={"Accept": "application/json"})
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("application/json"))
        s = r.json()
        self.assertEqual(s["users"]["active"], 1)
        self.assertEqual(s["users"]["reauth_required"], 0)
        self.assertEqual(s["totals"]["imported"], 2)
        self.assertEqual(s["totals"]["skipped_untagged"], 1)
        self.assertEqual(s["totals"]["delivered"], 3)  # and account.linked
        self.assertEqual(s["totals"]["fetches_ok"], 1)
        self.assertEqual(s["totals"]["webhook_updates"], 1)
        self.assertEqual(s["totals"]["webhook_rejected"], 1)
        self.assertEqual(s["outbox"]["pending"], 0)
        self.assertEqual(s["outbox"]["dead"], 0)
        self.assertEqual(s["dead_letters"], [])
        self.assertEqual(s["attention"], [])
        latest = s["latest_imports"]
        self.assertCountEqual([x["media_id"] for x in latest], [dinner, lunch])
        for x in latest:
            self.assertEqual(x["id"], "instagram:" + x["media_id"])
            self.assertEqual(x["user"], "alice")
            self.assertTrue(x["media_url"])
        self.assertEqual([e["user"] for e in s["schedule"]], ["alice"])
        due = parse_time(s["schedule"][0]["due_at"])
        self.assertGreater(due, time.time())
        self.assertEqual(s["scheduled_fetches"], 1)
        self.assertEqual(s["charts"]["imports"][-1], 2)
        self.assertEqual(s["charts"]["webhooks"][-1], 1)

        # /status for a browser: the dashboard
        r = get(ig.admin + "/status", headers={"Accept": "text/html,application/xhtml+xml"})
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/html"))
        html = r.body.decode()
        self.assertEqual(len(re.findall(r'class="import"', html)), 2)
        self.assertIn("Lunch bowl #eatdifferent", html)
        self.assertIn("Dinner #ed", html)
        self.assertNotIn("Commute selfie", html)
        for x in latest:  # thumbnails are igbridge's stored copies, not Instagram's URLs
            self.assertIn(x["media"][0]["url"], html)
            self.assertNotIn(x["media_url"].replace("&", "&amp;"), html)
        self.assertIn("<svg", html)
        self.assertIn("alice", html)
        # self-contained: no scripts or stylesheets from elsewhere
        self.assertNotRegex(html, r"<script[^>]+src=|<link[^>]+stylesheet")

        # the dashboard's "latest imports" are newest first (checked last so
        # the rest of the story is checked whatever the order)
        self.assertEqual([x["media_id"] for x in latest], [dinner, lunch],
                         "latest imports, newest first")
        self.assertLess(html.index("Dinner #ed"), html.index("Lunch bowl #eatdifferent"))


if __name__ == "__main__":
    unittest.main()
