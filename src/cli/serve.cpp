// `igbridge serve`: wires the store, the actor system, the HTTP client and
// both listeners together, and takes them down in order on SIGTERM. The
// listeners take the sockets the service manager hands over (socket
// activation), else bind their own.

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include <csignal>
#include <functional>
#include <cstdlib>
#include <future>
#include <optional>
#include <iostream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <caf/all.hpp>

#include "api/status_view.hpp"
#include "cli/cluster_options.hpp"
#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "core/cluster_admin.hpp"
#include "core/cluster_deletions.hpp"
#include "core/cluster_media.hpp"
#include "core/cluster_hints.hpp"
#include "core/shard_owner.hpp"
#include "ingest/listeners.hpp"
#include "igbridge/actors.hpp"
#include "igbridge/clock.hpp"
#include "igbridge/cluster/node.hpp"
#include "igbridge/cluster/sharding.hpp"
#include "igbridge/http_client.hpp"
#include "igbridge/http_server.hpp"
#include "igbridge/inherited_sockets.hpp"
#include "igbridge/io_pool.hpp"
#include "igbridge/log.hpp"
#include "igbridge/messages.hpp"
#include "igbridge/metrics.hpp"
#include "igbridge/mutations.hpp"

namespace igbridge {

namespace {

/// How long SIGTERM waits for in-flight deliveries and requests.
constexpr auto drain_bound = std::chrono::seconds{10};
/// File descriptors kept back from the listeners: LMDB, the JSONL file,
/// outbound connections, media files.
constexpr uint64_t reserved_fds = 128;

/// Waits until the connections the stopped listeners kept (each owed the
/// answer to a request read, or about to be) have had it and closed.
void wait_for_answers(const http_server& a, const http_server& b,
                      std::chrono::steady_clock::time_point until) {
  while ((a.open_connections() + b.open_connections()) > 0
         && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
}

const char* socket_source(int inherited_fd) {
  return inherited_fd >= 0 ? "inherited" : "bound";
}

/// Raises the open-file limit to its hard maximum and returns what the
/// listeners may hold: connections beyond it would fail with EMFILE.
uint64_t connection_budget() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return 1024;
  }
  if (lim.rlim_cur < lim.rlim_max) {
    auto raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      lim = raised;
    }
  }
  auto n = static_cast<uint64_t>(lim.rlim_cur);
  return n > reserved_fds ? n - reserved_fds : 16;
}

/// Connection caps that fit the open-file limit: the admin listener keeps
/// its share, the public one gets the rest.
std::pair<std::size_t, std::size_t> connection_caps(const config& cfg) {
  auto budget = connection_budget();
  auto admin = std::min<uint64_t>(cfg.admin.max_connections, std::max<uint64_t>(budget / 8, 2));
  auto pub = std::min<uint64_t>(cfg.server.max_connections, budget - admin);
  if (pub < static_cast<uint64_t>(cfg.server.max_connections)
      || admin < static_cast<uint64_t>(cfg.admin.max_connections)) {
    log(log_level::warning, "listen.caps_reduced",
        {{"open_file_limit", std::to_string(budget + reserved_fds)},
         {"public", std::to_string(pub)}, {"admin", std::to_string(admin)}});
  }
  return {static_cast<std::size_t>(pub), static_cast<std::size_t>(admin)};
}

/// As many CAF workers as cores, no more: they never block, so more would
/// only add context switches on a small box.
void tune_actor_system(caf::actor_system_config& caf_cfg) {
  caf_cfg.set("scheduler.max-threads",
              static_cast<int64_t>(std::max(2u, std::thread::hardware_concurrency())));
  // An idle worker spins briefly, then sleeps on its condition variable
  // (woken by the next enqueue). CAF's default adds 500 rounds of 50 µs
  // sleeps in between: under webhook load, where the workers get a message
  // now and then (the writer's wake notes), that polling was a fifth of the
  // process's CPU, all of it context switches.
  caf_cfg.set("work-stealing.aggressive-poll-attempts", int64_t{50});
  caf_cfg.set("work-stealing.moderate-poll-attempts", int64_t{0});
}

/// systemd's watchdog, when the unit asks for one: fed only while the
/// actors answer pings.
heartbeat_actor start_watchdog(caf::actor_system& sys, const actor_set& actors) {
  uint64_t watchdog_usec = 0;
  if (sd_watchdog_enabled(0, &watchdog_usec) <= 0 || watchdog_usec == 0) {
    return {};
  }
  // Beat at half the watchdog period, as sd_watchdog_enabled(3) advises.
  auto every = std::chrono::milliseconds(std::max<uint64_t>(watchdog_usec / 2000, 1));
  log(log_level::info, "watchdog.enabled", {{"interval_ms", std::to_string(every.count())}});
  return spawn_heartbeat(sys, every, {actors.registry, actors.scheduler, actors.front, actors.admin},
                         [] { sd_notify(0, "WATCHDOG=1"); });
}

/// Stops taking new work, lets deliveries and requests in flight finish
/// (for drain_bound at most), then takes the actors down in order.
void drain_and_stop(caf::actor_system& sys, const actor_set& actors, http_server& public_api,
                    http_server& admin_api, const heartbeat_actor& heart) {
  auto deadline = std::chrono::steady_clock::now() + drain_bound;
  public_api.stop();
  admin_api.stop();
  {
    // The main thread is neither an asio nor a CAF worker thread, so it may
    // block here while deliveries in flight finish.
    caf::scoped_actor self{sys};
    self->request(actors.delivery, drain_bound, drain_atom::value)
      .receive([](bool) {}, [](const caf::error&) {});
  }
  wait_for_answers(public_api, admin_api, deadline);
  caf::anon_send(actors.registry, drain_atom::value);
  if (heart) {
    caf::anon_send_exit(heart, caf::exit_reason::user_shutdown);
  }
  stop_all(actors);
  sys.await_all_actors_done();
}

/// Every committed batch's mutations appended to a file, length-prefixed
/// (IGBRIDGE_CHANGELOG_FILE: for the test that replays a real workload onto
/// an empty store; a cluster node publishes the same bytes to its shard's
/// changelog instead).
class changelog_file {
public:
  ~changelog_file() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  bool open(const char* path) {
    fd_ = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    return fd_ >= 0;
  }
  void append(const std::string& bytes) {
    std::string framed;
    framed.reserve(8 + bytes.size());
    for (int shift = 56; shift >= 0; shift -= 8) {
      framed.push_back(static_cast<char>((bytes.size() >> shift) & 0xff));
    }
    framed += bytes;
    if (::write(fd_, framed.data(), framed.size()) != static_cast<ssize_t>(framed.size())) {
      log(log_level::error, "changelog.write_failed", {});
    }
  }

private:
  int fd_ = -1;
};

/// The node's membership when [cluster] is set (DESIGN §9): joined on its
/// own thread, so the listeners come up at once and /readyz answers 503
/// until NATS answers.
std::shared_ptr<cluster::node_runtime> start_cluster(context& ctx, shard_owner* owner) {
  const auto& c = ctx.cfg.cluster;
  if (!c.enabled || owner == nullptr) {
    return nullptr;
  }
  auto node = std::make_shared<cluster::node_runtime>(link_options_of(ctx.cfg));
  ctx.cluster_view = [node] { return node->view(); };
  auto hooks = owner->hooks();
  hooks.figures = [&ctx] { return node_figures(ctx); };
  node->set_hooks(std::move(hooks));
  return node;
}

/// Cluster mode: the node acts only for users of the shards it owns, and
/// every commit's changes to them go to their shards' changelogs (DESIGN
/// §9). Set up before the actors start, which read ctx.owns.
std::unique_ptr<shard_owner> own_shards(context& ctx) {
  if (!ctx.cfg.cluster.enabled) {
    return nullptr;
  }
  auto shards = static_cast<uint32_t>(ctx.cfg.cluster.shards);
  auto owner = std::make_unique<shard_owner>(ctx, shards);
  ctx.db->capture(true);
  ctx.db->partition_seqs(shards, [shards](std::string_view u) { return cluster::shard_of(u, shards); });
  auto* o = owner.get();
  ctx.owns = [o](std::string_view u) { return o->owns(u); };
  ctx.sends_for = [o](std::string_view u) { return o->sends_for(u); };
  ctx.writes_for = [o](std::string_view u) { return o->writes_for(u); };
  ctx.shard_of = [o](std::string_view u) { return o->shard_of(u); };
  ctx.on_commit = [o](const std::string& batch) { return o->publish(batch); };
  return owner;
}

/// Cluster mode: a data deletion opened and answered by any node, each user
/// erased by her owner, who purges her shard's history and marks her done
/// (core/cluster_deletions.hpp).
void wire_deletions(context& ctx, cluster_deletions& d, cluster_hints& hints, shard_owner& shards) {
  using opened_fn = std::function<void(std::optional<context::deletion_opened>)>;
  ctx.deletion_open = [&d, &ctx](const std::string& request_key, const std::string& fresh,
                                 const std::string& instagram_id, std::vector<std::string> users,
                                 opened_fn done) {
    d.open_async(request_key, fresh, instagram_id, std::move(users), ctx.now(),
                 [done = std::move(done)](std::optional<cluster_deletions::opened> o) {
                   if (!o) {
                     return done(std::nullopt);
                   }
                   done(context::deletion_opened{o->code, o->completed});
                 });
  };
  ctx.deletion_get = [&d](const std::string& code,
                          std::function<void(std::optional<deletion_record>, bool)> done) {
    d.get_async(code, std::move(done));
  };
  ctx.forward_erase = [&hints](const std::string& user, const std::string& code,
                               std::function<void(bool)> done) {
    hints.forward_erase(user, code, std::move(done));
  };
  hints.on_erased([&d, &shards, &ctx](const std::string& user, const std::string& code,
                                      std::function<void(bool)> done) {
    shards.forget_history(user, [&d, &ctx, user, code, done = std::move(done)](bool purged) {
      done(purged && d.user_done(code, user, ctx.now()));
    });
  });
}

/// SIGHUP (`systemctl reload`): re-reads the secret files and log.level
/// from the configuration file. A file that cannot be read leaves every
/// secret as it was, and the daemon runs on.
void reload(const std::string& config_path, context& ctx) {
  sd_notify(0, "RELOADING=1");
  config fresh;
  auto problems = reload_config(config_path, ctx.live()->cfg, fresh);
  if (problems.empty()) {
    set_log_level(parse_log_level(fresh.log.level));
    ctx.set_live(std::make_shared<const live_config>(std::move(fresh)));
    ctx.stats.inc("igbridge_reloads_total", {{"result", "ok"}});
    log(log_level::notice, "reloaded", {{"config", config_path}});
  } else {
    ctx.stats.inc("igbridge_reloads_total", {{"result", "failed"}});
    for (const auto& p : problems) {
      log(log_level::error, "reload.failed", {{"key", p.key}, {"problem", p.message}});
    }
  }
  sd_notify(0, "READY=1");
}

} // namespace

int run_serve(const std::string& config_path) {
  config cfg;
  if (!load_or_report(config_path, cfg)) {
    return 1;
  }
  set_log_level(parse_log_level(cfg.log.level));
  set_log_syslog_prefix(std::getenv("JOURNAL_STREAM") != nullptr);
  store_ptr db;
  try {
    db = std::make_shared<store>(cfg.storage.path,
                                 static_cast<std::size_t>(cfg.storage.map_size_mb) << 20);
  } catch (const std::exception& e) {
    log(log_level::error, "storage.open_failed", {{"path", cfg.storage.path}, {"error", e.what()}});
    return 1;
  }
  auto [public_cap, admin_cap] = connection_caps(cfg);
  metrics stats;
  // Declared before the io_context so that it is destroyed after it: handlers
  // still queued in asio hold actor handles, and the system's destructor
  // waits until the detached actors' last handle is gone.
  caf::actor_system_config caf_cfg;
  std::optional<caf::actor_system> system;
  io_pool io{cfg.server.threads};
  http_client_options client_opts;
  // Keep a connection per download in flight to a CDN host alive.
  client_opts.max_idle_per_host = std::max<std::size_t>(
    client_opts.max_idle_per_host, static_cast<std::size_t>(cfg.media.concurrency));
  http_client client{io.main(), client_opts};
  auto ctx = std::make_shared<context>(std::move(cfg), db, client, stats);
  ctx->dialect = dialect_of(ctx->cfg);
  ctx->redirect_uri = ctx->cfg.server.public_url + "/oauth/instagram/callback";
  ctx->started_at = unix_now();
  const auto& conf = ctx->cfg;
  changelog_file changelog;
  if (const char* path = std::getenv("IGBRIDGE_CHANGELOG_FILE"); path != nullptr && *path) {
    if (!changelog.open(path)) {
      log(log_level::error, "changelog.open_failed", {{"path", path}});
      return 1;
    }
    db->capture(true);
    ctx->on_commit = [&changelog](const std::string& batch) {
      changelog.append(batch);
      return true;
    };
  }

  auto shards = own_shards(*ctx);
  tune_actor_system(caf_cfg);
  auto& sys = system.emplace(caf_cfg);
  auto actors = spawn_all(sys, ctx);
  auto cluster_node = start_cluster(*ctx, shards.get());
  std::unique_ptr<cluster_hints> hints;
  std::unique_ptr<cluster_admin> admin;
  std::unique_ptr<cluster_media> media;
  std::unique_ptr<cluster_deletions> deletions;
  if (cluster_node) {
    hints = std::make_unique<cluster_hints>(*ctx, static_cast<uint32_t>(conf.cluster.shards),
                                            sys, actors.writer, actors.registry);
    auto* h = hints.get();
    ctx->route_hints = [h](std::vector<std::string> ids, responder_ptr reply,
                           std::chrono::steady_clock::time_point received) {
      h->route(std::move(ids), std::move(reply), received);
    };
    ctx->forward_link = [h](const std::string& user, const link_grant& lg,
                            std::function<void(bool)> done) {
      h->forward_link(user, lg, std::move(done));
    };
    ctx->lookup_users = [h](const std::string& id,
                            std::function<void(std::vector<std::string>, bool)> done) {
      h->lookup_users(id, std::move(done));
    };
    ctx->forward_unlink = [h](const std::string& user, const std::string& reason,
                              std::function<void(bool)> done) {
      h->forward_unlink(user, reason, std::move(done));
    };
    ctx->oauth_put = [h](const std::string& nonce, std::string state,
                         std::function<void(bool)> done) {
      h->oauth_put(nonce, std::move(state), std::move(done));
    };
    ctx->oauth_get = [h](const std::string& nonce, context::oauth_done done) {
      h->oauth_get(nonce, std::move(done));
    };
    ctx->oauth_take = [h](const std::string& nonce, context::oauth_done done) {
      h->oauth_take(nonce, std::move(done));
    };
    admin = std::make_unique<cluster_admin>(*ctx, static_cast<uint32_t>(conf.cluster.shards),
                                            actors.admin);
    ctx->ask_owner = [a = admin.get()](const std::string& user, const http_request& req,
                                       std::function<void(http_response)> done) {
      a->ask_owner(user, req, std::move(done));
    };
    if (conf.media.store) {
      media = std::make_unique<cluster_media>();
      auto* m = media.get();
      ctx->media_put = [m](const std::string& name, std::string_view bytes) {
        return m->put(name, bytes);
      };
      ctx->media_get = [m](const std::string& name) { return m->get(name); };
      ctx->media_remove = [m](const std::string& name) { m->remove(name); };
    }
    deletions = std::make_unique<cluster_deletions>();
    wire_deletions(*ctx, *deletions, *hints, *shards);
    std::vector<shard_service*> services{hints.get(), admin.get(), deletions.get()};
    if (media) {
      services.push_back(media.get());
    }
    shards->attach(sys, actors.writer, actors.registry, actors.delivery, *cluster_node, *hints,
                   std::move(services));
    cluster_node->start();
  }

  std::unique_ptr<http_server> public_api;
  std::unique_ptr<http_server> admin_api;
  inherited_sockets inherited;
  try {
    inherited = take_inherited_sockets();
    http_server_limits pub_limits;
    pub_limits.max_connections = public_cap;
    http_server_limits adm_limits;
    adm_limits.max_connections = admin_cap;
    public_api = std::make_unique<http_server>(io, conf.server.listen, public_listener(ctx, actors),
                                               pub_limits, inherited.public_fd);
    admin_api = std::make_unique<http_server>(io, conf.admin.listen, admin_listener(ctx, actors),
                                              adm_limits, inherited.admin_fd);
  } catch (const std::exception& e) {
    log(log_level::error, "listen_failed", {{"error", e.what()}});
    if (shards) {
      shards->actors_stopped();
    }
    stop_all(actors);
    return 1;
  }
  public_api->on_refused([&stats] { stats.inc("igbridge_connections_refused_total", {{"listener", "public"}}); });
  admin_api->on_refused([&stats] { stats.inc("igbridge_connections_refused_total", {{"listener", "admin"}}); });
  public_api->start();
  admin_api->start();

  std::promise<int> stop_signal;
  boost::asio::signal_set signals{io.main(), SIGINT, SIGTERM};
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (!ec) {
      stop_signal.set_value(sig);
    }
  });
  boost::asio::signal_set hangups{io.main(), SIGHUP};
  std::function<void(const boost::system::error_code&, int)> on_hangup;
  on_hangup = [&](const boost::system::error_code& ec, int) {
    if (ec) {
      return;
    }
    reload(config_path, *ctx);
    hangups.async_wait(on_hangup);
  };
  hangups.async_wait(on_hangup);
  std::signal(SIGPIPE, SIG_IGN);

  io.start();
  log(log_level::notice, "started",
      {{"public", public_api->local_address()},
       {"public_socket", socket_source(inherited.public_fd)},
       {"admin", admin_api->local_address()},
       {"admin_socket", socket_source(inherited.admin_fd)},
       {"dialect", conf.instagram.dialect},
       {"sink", conf.sink.type},
       {"storage", conf.storage.path},
       {"max_connections", std::to_string(public_cap) + "/" + std::to_string(admin_cap)}});
  sd_notify(0, "READY=1");
  auto heart = start_watchdog(sys, actors);

  auto sig = stop_signal.get_future().get();
  sd_notify(0, "STOPPING=1");
  log(log_level::notice, "stopping", {{"signal", std::to_string(sig)}});
  drain_and_stop(sys, actors, *public_api, *admin_api, heart);
  if (cluster_node) {
    // After the actors flushed and published: the leases go last (stop,
    // flush, release).
    shards->actors_stopped();
    hints->stop(); // what was delivered and not settled comes again, to the next owner
    admin->stop();
    if (media) {
      media->stop();
    }
    deletions->stop();
    cluster_node->stop();
    shards->stop();
  }
  io.stop();
  log(log_level::notice, "stopped", {});
  return 0;
}

} // namespace igbridge
