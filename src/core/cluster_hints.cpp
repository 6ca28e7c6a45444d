// Webhook hints across the cluster (cluster_hints.hpp): lookups and
// publishes complete on NATS threads, so the webhook's I/O thread never
// waits; the last completion answers the sender.

#include "core/cluster_hints.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "api/responses.hpp"
#include "igbridge/cluster/hints.hpp"
#include "igbridge/cluster/kv.hpp"
#include "igbridge/cluster/sharding.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/log.hpp"

namespace igbridge {

namespace {

/// Deliveries of a hint that found no one here before it is dropped: the
/// user's record may have left with its shard between the lookup and the
/// fan-out (the next owner should have it), or the index lagged an unlink.
constexpr uint64_t max_unmatched_deliveries = 5;

/// A consumed hint's answer: the writer "responds" 200 after the commit
/// (ack: never again) or 503 (nak: deliver again, now). A 200 that hinted
/// no one is nak'd too, a few times: this node may have lost the shard.
class hint_settler : public responder {
public:
  hint_settler(cluster::hint_ack settle, uint64_t deliveries)
    : settle_(std::move(settle)), deliveries_(deliveries) {}
  void respond(http_response r) override {
    bool matched = r.body.find("\"hinted\":0,") == std::string::npos;
    if (r.status == 200 && (matched || deliveries_ >= max_unmatched_deliveries)) {
      settle_.ack();
    } else {
      settle_.nak();
    }
  }

private:
  cluster::hint_ack settle_;
  uint64_t deliveries_;
};

std::vector<std::string> split_lines(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto nl = s.find('\n');
    auto line = s.substr(0, nl);
    if (!line.empty()) {
      out.emplace_back(line);
    }
    if (nl == std::string_view::npos) {
      break;
    }
    s.remove_prefix(nl + 1);
  }
  return out;
}

/// A forwarded link on the shard's stream: "link\n" and the grant's JSON;
/// a forwarded unlink: "unlink\n" and {"user", "reason"}; a data
/// deletion's erase: "erase\n" and {"user", "code"}.
constexpr std::string_view link_prefix = "link\n";
constexpr std::string_view unlink_prefix = "unlink\n";
constexpr std::string_view erase_prefix = "erase\n";

/// A forwarded unlink or erase, {"user", `field`} after its prefix: the
/// user and the field's value. One that is never readable is logged as
/// `event` and acked (not to be delivered again): nullopt.
std::optional<std::pair<std::string, std::string>> read_forwarded(const cluster::hint& h,
                                                                  std::string_view prefix,
                                                                  const char* field,
                                                                  const char* event) {
  auto j = nlohmann::json::parse(h.payload.substr(prefix.size()), nullptr, false);
  if (!j.is_object() || !j.contains("user") || !j.contains(field)) {
    log(log_level::error, event, {{"seq", std::to_string(h.seq)}});
    h.settle.ack();
    return std::nullopt;
  }
  return std::make_pair(j["user"].get<std::string>(), j[field].get<std::string>());
}

/// The owner's side of a forwarded erase: its registry erases the user
/// (account.deleted queued), then `erased` purges her shard's history and
/// marks her done; acked only after all of it, so that a node dying
/// meanwhile leaves the erase to the shard's next owner (erasing again
/// finds nothing and goes on).
void store_forwarded_erase(caf::actor_system& sys, registry_actor registry,
                           const cluster_hints::erased_fn& erased, const cluster::hint& h) {
  if (!erased) {
    log(log_level::error, "cluster.forwarded_erase_unreadable", {{"seq", std::to_string(h.seq)}});
    h.settle.ack();
    return;
  }
  auto fields = read_forwarded(h, erase_prefix, "code", "cluster.forwarded_erase_unreadable");
  if (!fields) {
    return;
  }
  auto user = std::move(fields->first);
  auto code = std::move(fields->second);
  auto settle = h.settle;
  sys.spawn([registry, settle, user, code, erased](caf::event_based_actor* self) {
    self->request(registry, std::chrono::seconds(30), erase_atom::value, user, code)
      .then(
        [settle, user, code, erased](bool ok) {
          if (!ok) {
            settle.nak();
            return;
          }
          erased(user, code, [settle](bool done) {
            if (done) {
              settle.ack();
            } else {
              settle.nak();
            }
          });
        },
        [settle](const caf::error&) { settle.nak(); });
  });
}

/// The owner's side of a forwarded unlink (a deauthorize that reached
/// another node): its registry unlinks and tells the host, acked after.
void store_forwarded_unlink(caf::actor_system& sys, registry_actor registry,
                            const cluster::hint& h) {
  auto fields = read_forwarded(h, unlink_prefix, "reason", "cluster.forwarded_unlink_unreadable");
  if (!fields) {
    return;
  }
  auto user = std::move(fields->first);
  auto reason = std::move(fields->second);
  auto settle = h.settle;
  sys.spawn([registry, settle, user, reason](caf::event_based_actor* self) {
    self->request(registry, std::chrono::seconds(30), unlink_atom::value, user, true, reason)
      .then([settle](bool) { settle.ack(); }, [settle](const caf::error&) { settle.nak(); });
  });
}

/// The grant as it travels: the token sealed with storage.key (as in the
/// changelog; plain when no key is configured).
std::string encode_link(const std::string& user, const link_grant& lg, const std::string& key) {
  const auto& g = lg.grant;
  nlohmann::json j{{"user", user},
                   {"access_token", key.empty() ? g.access_token : seal(key, g.access_token)},
                   {"user_id", g.user_id},
                   {"app_scoped_id", g.app_scoped_id},
                   {"username", g.username},
                   {"expires_in", g.expires_in},
                   {"issued_at", lg.issued_at}};
  return std::string(link_prefix) + j.dump();
}

std::optional<std::pair<std::string, link_grant>> decode_link(std::string_view payload,
                                                              const std::string& key) {
  auto j = nlohmann::json::parse(payload.substr(link_prefix.size()), nullptr, false);
  if (!j.is_object()) {
    return std::nullopt;
  }
  try {
    link_grant lg;
    auto token = j.at("access_token").get<std::string>();
    if (!key.empty()) {
      auto plain = unseal(key, token);
      if (!plain) {
        return std::nullopt;
      }
      token = *plain;
    }
    lg.grant.access_token = token;
    lg.grant.user_id = j.at("user_id").get<std::string>();
    lg.grant.app_scoped_id = j.at("app_scoped_id").get<std::string>();
    lg.grant.username = j.at("username").get<std::string>();
    lg.grant.expires_in = j.at("expires_in").get<int64_t>();
    lg.issued_at = j.at("issued_at").get<int64_t>();
    return std::make_pair(j.at("user").get<std::string>(), std::move(lg));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

/// The owner's side of a forwarded link: its registry stores the grant (the
/// user's actor decides, as for a link completed here); acked after, nak'd
/// when it could not (it comes again).
void store_forwarded_link(caf::actor_system& sys, registry_actor registry, const std::string& key,
                          const cluster::hint& h) {
  auto link = decode_link(h.payload, key);
  if (!link) {
    log(log_level::error, "cluster.forwarded_link_unreadable", {{"seq", std::to_string(h.seq)}});
    h.settle.ack(); // never readable: not to be delivered again
    return;
  }
  auto settle = h.settle;
  sys.spawn([registry, settle, link = std::move(*link)](caf::event_based_actor* self) {
    self->request(registry, std::chrono::seconds(30), link_atom::value, link.first, link.second)
      .then(
        [settle, user = link.first](bool ok) {
          if (ok) {
            log(log_level::notice, "cluster.link_stored", {{"user", user}});
            settle.ack();
          } else {
            settle.nak();
          }
        },
        [settle](const caf::error&) { settle.nak(); });
  });
}

/// One webhook on its way: what the lookups found, then the publishes.
struct routing {
  std::mutex mu;
  std::size_t lookups_left = 0;
  std::size_t publishes_left = 0;
  std::map<uint32_t, std::set<std::string>> ids_by_shard;
  std::set<std::string> users;
  std::size_t unknown = 0;
  std::string error; // the first failure
  responder_ptr reply;
  std::chrono::steady_clock::time_point received;
};

} // namespace

struct cluster_hints::parts {
  explicit parts(cluster::cluster_link& link)
    : index(link), bus(link), oauth(cluster::oauth_states(link)) {}
  cluster::ig_index index;
  cluster::hint_bus bus;
  cluster::kv_bucket oauth;
  std::unique_ptr<cluster::hint_consumer> consumer;
};

cluster_hints::cluster_hints(context& ctx, uint32_t shards, caf::actor_system& sys,
                             writer_actor writer, registry_actor registry)
  : ctx_(ctx), shards_(shards), sys_(sys), writer_(std::move(writer)),
    registry_(std::move(registry)) {
  // nop
}

cluster_hints::~cluster_hints() {
  stop();
}

void cluster_hints::joined(cluster::cluster_link& link) {
  auto p = std::make_shared<parts>(link);
  cluster::hint_consumer_options opts;
  // A hint its owner took and did not settle (it died) comes again after
  // this, to the shard's next owner.
  opts.ack_wait = std::chrono::seconds(10);
  auto writer = writer_;
  auto registry = registry_;
  auto* sys = &sys_;
  auto key = ctx_.cfg.storage.key;
  auto erased = on_erased_;
  p->consumer = std::make_unique<cluster::hint_consumer>(
    link, opts, [writer, registry, sys, key, erased](cluster::hint h) {
      if (h.payload.rfind(link_prefix, 0) == 0) {
        return store_forwarded_link(*sys, registry, key, h);
      }
      if (h.payload.rfind(unlink_prefix, 0) == 0) {
        return store_forwarded_unlink(*sys, registry, h);
      }
      if (h.payload.rfind(erase_prefix, 0) == 0) {
        return store_forwarded_erase(*sys, registry, erased, h);
      }
      auto ids = split_lines(h.payload);
      auto settle = std::make_shared<hint_settler>(h.settle, h.deliveries);
      if (ids.empty()) {
        http_response done;
        done.status = 200;
        settle->respond(std::move(done));
        return;
      }
      caf::anon_send(writer, hint_batch{std::move(ids), std::move(settle),
                                        std::chrono::steady_clock::now()});
    });
  parts_ = std::move(p);
  ready_.store(true, std::memory_order_release);
}

void cluster_hints::forward_link(const std::string& user, const link_grant& grant,
                                 std::function<void(bool)> done) {
  if (!ready_.load(std::memory_order_acquire)) {
    return done(false);
  }
  parts_->bus.publish_async(cluster::shard_of(user, shards_),
                            encode_link(user, grant, ctx_.cfg.storage.key), {},
                            [done = std::move(done), user](cluster::result<uint64_t> r) {
                              if (!r.ok()) {
                                log(log_level::warning, "cluster.link_forward_failed",
                                    {{"user", user}, {"error", r.st.message}});
                              }
                              done(r.ok());
                            });
}

void cluster_hints::forward(const std::string& user, std::string message,
                            std::function<void(bool)> done) {
  if (!ready_.load(std::memory_order_acquire)) {
    return done(false);
  }
  parts_->bus.publish_async(cluster::shard_of(user, shards_), std::move(message), {},
                            [done = std::move(done)](cluster::result<uint64_t> r) {
                              done(r.ok());
                            });
}

void cluster_hints::forward_unlink(const std::string& user, const std::string& reason,
                                   std::function<void(bool)> done) {
  nlohmann::json j{{"user", user}, {"reason", reason}};
  forward(user, std::string(unlink_prefix) + j.dump(), std::move(done));
}

void cluster_hints::forward_erase(const std::string& user, const std::string& code,
                                  std::function<void(bool)> done) {
  nlohmann::json j{{"user", user}, {"code", code}};
  forward(user, std::string(erase_prefix) + j.dump(), std::move(done));
}

void cluster_hints::lookup_users(const std::string& instagram_id,
                                 std::function<void(std::vector<std::string>, bool)> done) {
  if (!ready_.load(std::memory_order_acquire)) {
    return done({}, false);
  }
  parts_->index.users_async(instagram_id, [done = std::move(done)](
                                            cluster::result<std::vector<std::string>> r) {
    done(std::move(r.value), r.ok());
  });
}

void cluster_hints::oauth_put(const std::string& nonce, std::string state,
                              std::function<void(bool)> done) {
  if (!ready_.load(std::memory_order_acquire)) {
    return done(false);
  }
  parts_->oauth.create_async(nonce, std::move(state), [done = std::move(done)](
                                                        cluster::result<uint64_t> r) {
    done(r.ok());
  });
}

namespace {

std::function<void(cluster::result<cluster::kv_entry>)> oauth_answer(context::oauth_done done) {
  return [done = std::move(done)](cluster::result<cluster::kv_entry> r) {
    if (r.ok()) {
      return done(std::move(r.value.value), true);
    }
    done(std::nullopt, r.st.code == cluster::errc::not_found);
  };
}

} // namespace

void cluster_hints::oauth_get(const std::string& nonce, context::oauth_done done) {
  if (!ready_.load(std::memory_order_acquire)) {
    return done(std::nullopt, false);
  }
  parts_->oauth.get_async(nonce, oauth_answer(std::move(done)));
}

void cluster_hints::oauth_take(const std::string& nonce, context::oauth_done done) {
  if (!ready_.load(std::memory_order_acquire)) {
    return done(std::nullopt, false);
  }
  parts_->oauth.take_async(nonce, oauth_answer(std::move(done)));
}

void cluster_hints::stop() {
  if (ready_.exchange(false) && parts_ && parts_->consumer) {
    parts_->consumer->stop_all();
  }
}

void cluster_hints::serve(uint32_t shard) {
  if (!ready_.load(std::memory_order_acquire)) {
    return;
  }
  auto st = parts_->consumer->start(shard);
  if (!st.ok()) {
    log(log_level::warning, "cluster.hints_consumer_failed",
        {{"shard", std::to_string(shard)}, {"error", st.message}});
  }
}

void cluster_hints::unserve(uint32_t shard) {
  if (ready_.load(std::memory_order_acquire)) {
    parts_->consumer->stop(shard);
  }
}

void cluster_hints::index_changed(std::string_view instagram_id, std::string_view user,
                                  bool added) {
  if (!ready_.load(std::memory_order_acquire)) {
    return;
  }
  if (added) {
    // Most calls (a restore's heal) find it there: one read, no lock.
    auto now = parts_->index.users(instagram_id);
    if (now.ok() && std::binary_search(now.value.begin(), now.value.end(), std::string(user))) {
      return;
    }
  }
  auto st = added ? parts_->index.add(instagram_id, user) : parts_->index.remove(instagram_id, user);
  if (!st.ok()) {
    // The next restore of the user's shard mirrors its ids again; until
    // then its webhooks find no one, and polling imports.
    log(log_level::warning, "cluster.index_mirror_failed",
        {{"user", std::string(user)}, {"error", st.message}});
    ctx_.stats.inc("igbridge_cluster_index_mirror_failures_total");
  }
}

void cluster_hints::route(std::vector<std::string> instagram_ids, responder_ptr reply,
                          std::chrono::steady_clock::time_point received) {
  if (!ready_.load(std::memory_order_acquire)) {
    auto r = json_error(503, "not joined to the cluster yet");
    r.headers.emplace_back("Retry-After", "5");
    return reply->respond(std::move(r));
  }
  auto p = parts_;
  auto r = std::make_shared<routing>();
  r->reply = std::move(reply);
  r->received = received;
  r->lookups_left = instagram_ids.size();
  auto shards = shards_;
  auto* stats = &ctx_.stats;
  // The last publish's answer answers the webhook.
  auto finish = [r, stats] {
    http_response out;
    if (!r->error.empty()) {
      stats->inc("igbridge_cluster_hint_routes_total", {{"result", "failed"}});
      out = json_error(503, "could not store the update: " + r->error);
      out.headers.emplace_back("Retry-After", "5");
    } else {
      stats->inc("igbridge_cluster_hint_routes_total", {{"result", "stored"}});
      stats->inc("igbridge_webhook_hints_total", {{"result", "published"}},
                 static_cast<double>(r->users.size()));
      stats->inc("igbridge_webhook_hints_total", {{"result", "unknown_account"}},
                 static_cast<double>(r->unknown));
      stats->observe("igbridge_webhook_ack_duration_seconds", {},
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - r->received)
                       .count());
      out = json_response(200, {{"hinted", r->users.size()}, {"unknown", r->unknown}});
    }
    r->reply->respond(std::move(out));
  };
  auto publish_all = [r, p, finish] {
    if (!r->error.empty() || r->ids_by_shard.empty()) {
      return finish();
    }
    r->publishes_left = r->ids_by_shard.size();
    for (const auto& [shard, ids] : r->ids_by_shard) {
      std::string payload;
      for (const auto& id : ids) {
        payload.append(id).push_back('\n');
      }
      p->bus.publish_async(shard, std::move(payload), {}, [r, finish](cluster::result<uint64_t> res) {
        bool last = false;
        {
          std::lock_guard<std::mutex> lock(r->mu);
          if (!res.ok() && r->error.empty()) {
            r->error = res.st.message.empty() ? cluster::to_string(res.st.code) : res.st.message;
          }
          last = --r->publishes_left == 0;
        }
        if (last) {
          finish();
        }
      });
    }
  };
  for (auto& id : instagram_ids) {
    p->index.users_async(id, [r, id, shards, publish_all](
                               cluster::result<std::vector<std::string>> res) {
      bool last = false;
      {
        std::lock_guard<std::mutex> lock(r->mu);
        if (!res.ok()) {
          if (r->error.empty()) {
            r->error = res.st.message.empty() ? cluster::to_string(res.st.code) : res.st.message;
          }
        } else if (res.value.empty()) {
          ++r->unknown;
        } else {
          for (const auto& u : res.value) {
            r->ids_by_shard[cluster::shard_of(u, shards)].insert(id);
            r->users.insert(u);
          }
        }
        last = --r->lookups_left == 0;
      }
      if (last) {
        publish_all();
      }
    });
  }
}

} // namespace igbridge
