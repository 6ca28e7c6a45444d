// `igbridge serve`: wires the store, the actor system, the HTTP client and
// both listeners together, and takes them down in order on SIGTERM.

#include <systemd/sd-daemon.h>

#include <csignal>
#include <cstdlib>
#include <future>
#include <iostream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <caf/all.hpp>

#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "actors/request_metrics.hpp"
#include "igbridge/actors.hpp"
#include "igbridge/clock.hpp"
#include "igbridge/http_client.hpp"
#include "igbridge/http_server.hpp"
#include "igbridge/log.hpp"
#include "igbridge/messages.hpp"
#include "igbridge/metrics.hpp"

namespace igbridge {

namespace {

/// How long SIGTERM waits for in-flight deliveries and requests.
constexpr auto drain_bound = std::chrono::seconds{10};

http_server::handler forward_to(caf::actor front, listener_kind kind, metrics* stats) {
  return [front, kind, stats](http_request req, responder_ptr reply) {
    auto counted = counting_responder(std::move(reply), stats, kind, route_label(kind, req.target));
    caf::anon_send(front, inbound{kind, std::move(req), std::move(counted)});
  };
}

void wait_for_answers(const http_server& a, const http_server& b,
                       std::chrono::steady_clock::time_point until) {
  while ((a.in_flight() + b.in_flight()) > 0
         && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
}

} // namespace

int run_serve(const std::string& config_path) {
  auto ctx = std::make_shared<context>();
  if (!load_or_report(config_path, ctx->cfg)) {
    return 1;
  }
  const auto& cfg = ctx->cfg;
  set_log_level(parse_log_level(cfg.log.level));
  set_log_syslog_prefix(std::getenv("JOURNAL_STREAM") != nullptr);
  ctx->dialect = dialect_of(cfg);
  ctx->redirect_uri = cfg.server.public_url + "/oauth/instagram/callback";
  ctx->started_at = unix_now();
  ctx->webhook_secrets.push_back(cfg.instagram.client_secret);
  for (const auto& s : cfg.instagram.extra_webhook_secrets) {
    ctx->webhook_secrets.push_back(s);
  }
  try {
    ctx->db = std::make_shared<store>(cfg.storage.path);
  } catch (const std::exception& e) {
    log(log_level::error, "storage.open_failed", {{"path", cfg.storage.path}, {"error", e.what()}});
    return 1;
  }
  metrics stats;
  ctx->stats = &stats;

  boost::asio::io_context io{cfg.server.threads};
  http_client client{io};
  ctx->http = &client;

  caf::actor_system_config caf_cfg;
  caf::actor_system sys{caf_cfg};
  auto delivery = spawn_delivery(sys, ctx);
  auto registry = spawn_registry(sys, ctx, delivery);
  auto front = spawn_front(sys, ctx, registry, delivery);

  std::unique_ptr<http_server> public_api;
  std::unique_ptr<http_server> admin_api;
  try {
    public_api = std::make_unique<http_server>(
      io, cfg.server.listen, forward_to(front, listener_kind::public_api, &stats));
    admin_api = std::make_unique<http_server>(
      io, cfg.admin.listen, forward_to(front, listener_kind::admin_api, &stats));
  } catch (const std::exception& e) {
    log(log_level::error, "listen_failed", {{"error", e.what()}});
    for (auto& a : {front, registry, delivery}) {
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    }
    return 1;
  }
  public_api->start();
  admin_api->start();
  caf::anon_send(registry, restore_atom::value);

  std::promise<int> stop_signal;
  boost::asio::signal_set signals{io, SIGINT, SIGTERM};
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (!ec) {
      stop_signal.set_value(sig);
    }
  });
  std::signal(SIGPIPE, SIG_IGN);

  std::vector<std::thread> threads;
  for (int i = 0; i < cfg.server.threads; ++i) {
    threads.emplace_back([&io] { io.run(); });
  }
  log(log_level::notice, "started",
      {{"public", cfg.server.listen.host + ":" + std::to_string(public_api->port())},
       {"admin", cfg.admin.listen.host + ":" + std::to_string(admin_api->port())},
       {"dialect", cfg.instagram.dialect},
       {"sink", cfg.sink.type},
       {"storage", cfg.storage.path}});
  sd_notify(0, "READY=1");
  caf::actor heart;
  uint64_t watchdog_usec = 0;
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) {
    // Beat at half the watchdog period, as sd_watchdog_enabled(3) advises.
    auto every = std::chrono::milliseconds(std::max<uint64_t>(watchdog_usec / 2000, 1));
    heart = spawn_heartbeat(sys, every, {registry, front}, [] { sd_notify(0, "WATCHDOG=1"); });
    log(log_level::info, "watchdog.enabled", {{"interval_ms", std::to_string(every.count())}});
  }

  auto sig = stop_signal.get_future().get();
  sd_notify(0, "STOPPING=1");
  log(log_level::notice, "stopping", {{"signal", std::to_string(sig)}});
  auto deadline = std::chrono::steady_clock::now() + drain_bound;
  public_api->stop();
  admin_api->stop();
  {
    // The main thread is neither an asio nor a CAF worker thread, so it may
    // block here while deliveries in flight finish.
    caf::scoped_actor self{sys};
    self->request(delivery, drain_bound, drain_atom::value)
      .receive([](bool) {}, [](const caf::error&) {});
  }
  wait_for_answers(*public_api, *admin_api, deadline);
  for (auto& a : {heart, front, registry, delivery}) {
    if (a) {
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    }
  }
  sys.await_all_actors_done();
  io.stop();
  for (auto& t : threads) {
    t.join();
  }
  log(log_level::notice, "stopped", {});
  return 0;
}

} // namespace igbridge
