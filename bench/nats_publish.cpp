// Publish-to-ack latency of the two publishes a cluster node waits for
// (issue 22, must-show 7): a changelog append (fenced on the shard's last
// sequence, so one at a time per shard, as an owner's writer sends them)
// and a hint publish (what a webhook's 200 waits for; asynchronous, as the
// daemon sends it, and synchronous for comparison). Each is timed from
// the call to the stream's ack, one after the other, so the figures are
// the round trip to a quorum and nothing queued behind it.
//
//   nats_publish --urls nats://127.0.0.1:4222,... --replicas 3 --count 2000
//
// prints one JSON line: per kind, p50/p90/p99/max in milliseconds and the
// rate. bench/cluster.py runs it against three servers at R3 and one at R1.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "igbridge/cluster/changelog.hpp"
#include "igbridge/cluster/hints.hpp"
#include "igbridge/cluster/link.hpp"

using namespace igbridge::cluster;
using steady = std::chrono::steady_clock;

namespace {

nlohmann::json summary(std::vector<double> ms, double seconds) {
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * ms.size()))];
  };
  auto round3 = [](double v) {
    return static_cast<double>(static_cast<int64_t>(v * 1000 + 0.5)) / 1000;
  };
  return {{"count", ms.size()},         {"p50_ms", round3(at(0.50))}, {"p90_ms", round3(at(0.90))},
          {"p99_ms", round3(at(0.99))}, {"max_ms", round3(ms.back())},
          {"per_s", static_cast<int64_t>(ms.size() / seconds)}};
}

double ms_since(steady::time_point t) {
  return std::chrono::duration<double, std::milli>(steady::now() - t).count();
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"publish-to-ack latency of changelog appends and hint publishes"};
  std::string urls;
  int replicas = 3;
  int count = 2000;
  app.add_option("--urls", urls, "comma-separated NATS URLs")->required();
  app.add_option("--replicas", replicas, "stream replicas (as the cluster was created)");
  app.add_option("--count", count, "publishes of each kind")->check(CLI::Range(10, 1000000));
  CLI11_PARSE(app, argc, argv);

  link_options o;
  for (std::size_t start = 0; start <= urls.size();) {
    auto end = urls.find(',', start);
    auto n = end == std::string::npos ? std::string::npos : end - start;
    o.urls.push_back(urls.substr(start, n));
    start = end == std::string::npos ? urls.size() + 1 : end + 1;
  }
  o.node_id = "bench-publish";
  o.shards = 16;
  o.replicas = replicas;
  auto link = cluster_link::connect(o);
  if (!link.ok()) {
    std::fprintf(stderr, "connect: %s\n", link.st.message.c_str());
    return 1;
  }
  if (auto st = link.value->ensure_assets(); !st.ok()) {
    std::fprintf(stderr, "streams: %s\n", st.message.c_str());
    return 1;
  }
  const std::string batch(200, 'x'); // about one small commit's mutations

  // Changelog appends: one shard, each fenced on the one before.
  shard_log log(*link.value);
  auto claimed = log.claim(3);
  if (!claimed.ok()) {
    std::fprintf(stderr, "claim: %s\n", claimed.st.message.c_str());
    return 1;
  }
  std::vector<double> appends;
  uint64_t last = claimed.value;
  auto t0 = steady::now();
  for (int i = 0; i < count; ++i) {
    auto t = steady::now();
    auto r = log.append(3, last, batch);
    if (!r.ok()) {
      std::fprintf(stderr, "append: %s\n", r.st.message.c_str());
      return 1;
    }
    appends.push_back(ms_since(t));
    last = r.value;
  }
  double append_s = std::chrono::duration<double>(steady::now() - t0).count();

  // Hint publishes, as a webhook's: async, waited for one at a time.
  hint_bus bus(*link.value);
  std::vector<double> hints;
  t0 = steady::now();
  for (int i = 0; i < count; ++i) {
    std::promise<bool> acked;
    auto t = steady::now();
    bus.publish_async(static_cast<uint32_t>(i % 16), "17841400000000001\n", {},
                      [&acked](result<uint64_t> r) { acked.set_value(r.ok()); });
    if (!acked.get_future().get()) {
      std::fprintf(stderr, "hint publish failed\n");
      return 1;
    }
    hints.push_back(ms_since(t));
  }
  double hint_s = std::chrono::duration<double>(steady::now() - t0).count();

  // The same publish, synchronous (js_PublishMsg): the async path's own
  // cost is the difference.
  std::vector<double> sync_hints;
  t0 = steady::now();
  for (int i = 0; i < count; ++i) {
    auto t = steady::now();
    if (!bus.publish(static_cast<uint32_t>(i % 16), "17841400000000001\n").ok()) {
      std::fprintf(stderr, "hint publish failed\n");
      return 1;
    }
    sync_hints.push_back(ms_since(t));
  }
  double sync_s = std::chrono::duration<double>(steady::now() - t0).count();

  std::printf("%s\n", nlohmann::json{{"replicas", replicas},
                                     {"servers", o.urls.size()},
                                     {"changelog_append", summary(appends, append_s)},
                                     {"hint_publish", summary(hints, hint_s)},
                                     {"hint_publish_sync", summary(sync_hints, sync_s)}}
                        .dump()
                        .c_str());
  link.value->close();
  return 0;
}
