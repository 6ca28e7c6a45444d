// The shards this node runs (shard_owner.hpp): the writer's commits split
// by shard onto their changelogs, restores and purges as unlogged writer
// jobs, and the order a shard leaves in: stop its users, let the writer
// publish what it committed, drop the local copy, release the lease.

#include "core/shard_owner.hpp"

#include <chrono>
#include <map>

#include <caf/all.hpp>

#include "core/cluster_hints.hpp"
#include "core/shard_service.hpp"
#include "igbridge/cluster/changelog.hpp"
#include "igbridge/cluster/sharding.hpp"
#include "igbridge/log.hpp"
#include "igbridge/mutations.hpp"
#include "igbridge/store/meta.hpp"
#include "igbridge/store/outbox.hpp"
#include "igbridge/store/owners.hpp"
#include "igbridge/store/users.hpp"

namespace igbridge {

namespace {

/// A restore or purge may take a while on a large store; the writer runs
/// nothing else meanwhile, so this bounds a stuck one, not a slow one.
constexpr auto job_timeout = std::chrono::minutes(10);
/// A hand-over waits this long at most for the shard's deliveries in flight
/// (a sink that does not answer must not hold the shard forever).
constexpr auto delivery_wait = std::chrono::seconds(10);
/// A commit's appends are sent again this long at most while they fail for
/// a passing reason: a stream's leader being elected after a server went
/// (a few seconds), the client reconnecting. The writer waits meanwhile;
/// giving up drops the shard, and what its users had out at the sink then
/// goes again from the next owner.
constexpr auto append_retry_for = std::chrono::seconds(10);

bool passing(cluster::errc e) {
  return e == cluster::errc::timeout || e == cluster::errc::no_quorum
         || e == cluster::errc::disconnected;
}

} // namespace

shard_owner::shard_owner(context& ctx, uint32_t shards)
  : ctx_(ctx), shards_(shards), phase_(new std::atomic<uint8_t>[shards]),
    expected_last_(shards, 0), since_snapshot_(shards, 0), snapshot_covers_(shards, 0),
    snapshot_queued_(new std::atomic<bool>[shards]),
    snapshot_every_(static_cast<uint64_t>(ctx.cfg.cluster.snapshot_every)) {
  for (uint32_t s = 0; s < shards_; ++s) {
    phase_[s].store(none);
    snapshot_queued_[s].store(false);
  }
}

shard_owner::~shard_owner() {
  stop();
}

void shard_owner::attach(caf::actor_system& sys, writer_actor writer, registry_actor registry,
                         delivery_actor delivery, cluster::node_runtime& node,
                         cluster_hints& hints, std::vector<shard_service*> services) {
  services_ = std::move(services);
  delivery_ = std::move(delivery);
  hints_ = &hints;
  sys_ = &sys;
  writer_ = std::move(writer);
  registry_ = std::move(registry);
  node_ = &node;
  thread_ = std::thread([this] { run(); });
}

cluster::shard_hooks shard_owner::hooks() {
  cluster::shard_hooks h;
  h.joined = [this](cluster::cluster_link& link) {
    for (auto* s : services_) {
      s->joined(link);
    }
    link_.store(&link);
    post({event::joined, 0, nullptr, {}});
  };
  h.gained = [this](uint32_t shard) { post({event::gained, shard, nullptr, {}}); };
  h.serving = [this] {
    std::vector<uint32_t> out;
    for (uint32_t s = 0; s < shards_; ++s) {
      if (phase_of(s) == owned) {
        out.push_back(s);
      }
    }
    return out;
  };
  h.lost = [this](uint32_t shard, cluster::lease_loss why) {
    if (why == cluster::lease_loss::handoff || why == cluster::lease_loss::stopping) {
      post({event::handoff, shard, nullptr, {}});
    } else {
      // Another node holds the lease, or it expired: nothing more of this
      // shard may leave the node, from now on; what was committed is still
      // appended until the purge (lost). A restore under way does not go
      // on to serve it (none).
      auto p = phase_[shard].load();
      while (!phase_[shard].compare_exchange_weak(p, p == owned || p == leaving ? lost : none)) {
      }
      post({event::dropped, shard, nullptr, {}});
    }
  };
  return h;
}

uint32_t shard_owner::shard_of(std::string_view user) const {
  return cluster::shard_of(user, shards_);
}

std::function<bool(std::string_view)> shard_owner::users_of(uint32_t shard) const {
  return [shards = shards_, shard](std::string_view user) {
    return cluster::shard_of(user, shards) == shard;
  };
}

bool shard_owner::owns(std::string_view user) const {
  return phase_of(shard_of(user)) == owned;
}

bool shard_owner::sends_for(std::string_view user) const {
  // A node that was paused past its lease sends nothing until a renewal
  // says it still holds it. (Only the sink: everything else it might do
  // meanwhile is a write, which the changelog's fence refuses.)
  auto shard = shard_of(user);
  auto* node = node_;
  return phase_of(shard) == owned && node != nullptr && node->fresh(shard);
}

bool shard_owner::writes_for(std::string_view user) const {
  auto p = phase_of(shard_of(user));
  return p == owned || p == leaving || p == lost;
}

bool shard_owner::publish(const std::string& batch) {
  auto* link = link_.load();
  std::map<uint32_t, std::pair<std::string, uint32_t>> parts; // shard → (batch, count)
  for_each_mutation(batch, [&](db d, mutation::kind op, std::string_view key,
                               std::string_view value) {
    auto user = owners::user_of(d, op, key, value);
    if (!user) {
      return; // the node's own record
    }
    auto& [bytes, count] = parts[shard_of(*user)];
    if (bytes.empty()) {
      begin_batch(bytes);
    }
    append_mutation(bytes, d, op, key, value);
    ++count;
  });
  bool all = true;
  const auto give_up = std::chrono::steady_clock::now() + append_retry_for;
  for (auto& [shard, part] : parts) {
    end_batch(part.first, part.second);
    auto p = phase_of(shard);
    if ((p != owned && p != leaving && p != lost) || link == nullptr) {
      // A webhook's hint fanned out to a user whose shard is being
      // restored here: the restore's replay does not have it.
      log(log_level::warning, "cluster.unowned_change",
          {{"shard", std::to_string(shard)}, {"changes", std::to_string(part.second)}});
      ctx_.stats.inc("igbridge_cluster_unowned_changes_total");
      continue;
    }
    auto r = append_part(*link, shard, part.first, give_up);
    if (r.ok()) {
      expected_last_[shard] = r.value;
      ctx_.stats.inc("igbridge_cluster_changelog_appends_total", {{"result", "ok"}});
      mirror_index(part.first);
      if (snapshot_every_ != 0 && ++since_snapshot_[shard] >= snapshot_every_
          && !snapshot_queued_[shard].exchange(true)) {
        since_snapshot_[shard] = 0;
        post({event::snapshot, shard, nullptr, {}});
      }
      continue;
    }
    // Fenced (a new owner claimed the log) or not stored in time: this
    // node no longer speaks for the shard. What it committed here and could
    // not publish is dropped with its local copy; the batch's answers say
    // it failed, so nothing of it was acknowledged.
    all = false;
    set_phase(shard, none);
    ctx_.stats.inc("igbridge_cluster_changelog_appends_total",
                   {{"result", r.st.code == cluster::errc::fenced ? "fenced" : "failed"}});
    log(log_level::error, "cluster.shard_dropped",
        {{"shard", std::to_string(shard)}, {"why", cluster::to_string(r.st.code)},
         {"error", r.st.message}});
    post({event::dropped, shard, nullptr, {}});
  }
  return all;
}

cluster::result<uint64_t> shard_owner::append_part(cluster::cluster_link& link, uint32_t shard,
                                                  const std::string& part,
                                                  std::chrono::steady_clock::time_point give_up) {
  cluster::shard_log changelog(link);
  const auto expected = expected_last_[shard];
  // Names this batch at this place in the log: a try that timed out and
  // was stored after all is recognised instead of fenced.
  const auto id =
    link.options().node_id + "." + std::to_string(shard) + "." + std::to_string(expected);
  for (int tries = 1;; ++tries) {
    auto r = changelog.append(shard, expected, part, id);
    bool again = !r.ok() && passing(r.st.code) && phase_of(shard) != none
                 && std::chrono::steady_clock::now() < give_up;
    if (!again) {
      if (tries > 1) {
        log(r.ok() ? log_level::notice : log_level::error, "cluster.append_retried",
            {{"shard", std::to_string(shard)}, {"tries", std::to_string(tries)},
             {"stored", r.ok() ? "true" : "false"}});
      }
      return r;
    }
    ctx_.stats.inc("igbridge_cluster_changelog_retries_total");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void shard_owner::mirror_index(std::string_view part) {
  for_each_mutation(part, [&](db d, mutation::kind op, std::string_view key,
                              std::string_view value) {
    if (auto c = users::index_change_of(d, op, key, value)) {
      hints_->index_changed(c->instagram_id, c->user, c->added);
    }
  });
}

void shard_owner::forget_history(std::string_view user, std::function<void(bool)> done) {
  post({event::forget, shard_of(user), nullptr, std::move(done)});
}

void shard_owner::post(event e) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool later = e.what == event::snapshot || e.what == event::heal || e.what == event::forget;
    (later ? background_ : urgent_).push_back(std::move(e));
  }
  cv_.notify_one();
}

void shard_owner::stop() {
  actors_gone_.store(true);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void shard_owner::run() {
  for (;;) {
    event e;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !urgent_.empty() || !background_.empty(); });
      auto& q = !urgent_.empty() ? urgent_ : background_;
      if (q.empty()) {
        return; // stopping, nothing left
      }
      e = std::move(q.front());
      q.pop_front();
    }
    handle(e);
  }
}

void shard_owner::handle(const event& e) {
  if (actors_gone_.load()) {
    // Shutting down: the writer committed and published everything before
    // it went, so a shard handed over may go at once.
    if (e.what == event::handoff) {
      set_phase(e.shard, none);
      node_->release(e.shard);
    } else if (e.what == event::forget) {
      e.done(false); // its erase comes again, to the shard's next owner
    }
    return;
  }
  switch (e.what) {
    case event::joined:
      purge_all();
      break;
    case event::gained:
      if (!restore(e.shard) && node_->holds(e.shard)) {
        // Retried while the lease is held.
        std::this_thread::sleep_for(std::chrono::seconds(1));
        post(e);
      }
      break;
    case event::handoff:
      leave(e.shard, true);
      break;
    case event::dropped:
      leave(e.shard, false);
      // Fenced while the lease is still ours (two appends raced, or an
      // import claimed the log): restore afresh (changelog.hpp).
      if (node_->holds(e.shard)) {
        post({event::gained, e.shard, nullptr, {}});
      }
      break;
    case event::snapshot:
      snapshot(e.shard);
      break;
    case event::forget:
      // A data deletion: her erase committed before this was posted, so a
      // snapshot now holds nothing of her and the changelog before it goes.
      e.done(snapshot(e.shard));
      break;
    case event::heal:
      for (const auto& [id, user] : *e.ids) {
        if (phase_of(e.shard) != owned) {
          break; // left meanwhile: its next owner heals
        }
        hints_->index_changed(id, user, true);
      }
      break;
  }
}

bool shard_owner::unlogged(write_job job) {
  caf::scoped_actor self{*sys_};
  bool ok = false;
  self->request(writer_, job_timeout, unlogged_atom::value, std::move(job))
    .receive([&](const write_result& r) { ok = r.ok; },
             [&](const caf::error& err) {
               log(log_level::error, "cluster.writer_unreachable", {{"error", caf::to_string(err)}});
             });
  return ok;
}

void shard_owner::purge_all() {
  // What this node's LMDB holds of users is a cache of shards it may have
  // owned before a restart: each comes back from its changelog when the
  // node gains it, the rest belong to others now.
  write_job job;
  job.what = "cluster.purge_all";
  auto removed = std::make_shared<std::size_t>(0);
  job.apply = [removed](write_txn& txn, write_notes&) {
    *removed = owners::drop_users(txn, [](std::string_view) { return true; });
  };
  if (unlogged(std::move(job))) {
    log(log_level::info, "cluster.local_copy_dropped", {{"records", std::to_string(*removed)}});
  }
}

bool shard_owner::restore(uint32_t shard) {
  auto* link = link_.load();
  auto p = phase_of(shard);
  if (link == nullptr || p == owned) {
    return true;
  }
  if (!node_->holds(shard)) {
    return true; // lost again before its turn came: nothing to serve
  }
  auto start = std::chrono::steady_clock::now();
  set_phase(shard, restoring);
  cluster::shard_log changelog(*link);
  auto claimed = changelog.claim(shard);
  if (!claimed.ok()) {
    log(log_level::warning, "cluster.restore_failed",
        {{"shard", std::to_string(shard)}, {"step", "claim"}, {"error", claimed.st.message}});
    set_phase(shard, none);
    return false;
  }
  uint64_t after = 0;
  std::string snap;
  if (auto s = changelog.read_snapshot(shard); s.ok()) {
    after = s.value.covers_seq;
    snap = std::move(s.value.data);
  } else if (s.st.code != cluster::errc::not_found) {
    log(log_level::warning, "cluster.restore_failed",
        {{"shard", std::to_string(shard)}, {"step", "snapshot"}, {"error", s.st.message}});
    set_phase(shard, none);
    return false;
  }
  auto batches = std::make_shared<std::vector<std::string>>();
  bool from_snapshot = !snap.empty();
  if (from_snapshot) {
    batches->push_back(std::move(snap));
  }
  auto last = changelog.read(shard, after, [&](const cluster::log_entry& e) {
    batches->push_back(e.batch);
    return true;
  });
  if (!last.ok()) {
    log(log_level::warning, "cluster.restore_failed",
        {{"shard", std::to_string(shard)}, {"step", "read"}, {"error", last.st.message}});
    set_phase(shard, none);
    return false;
  }
  // An earlier owner that has not yet heard it lost the shard may have
  // written a snapshot and compacted the tail while it was read here: the
  // tail may miss batches; read again.
  if (auto covers = changelog.snapshot_covers(shard); !covers.ok() || covers.value != after) {
    log(log_level::warning, "cluster.restore_failed",
        {{"shard", std::to_string(shard)}, {"step", "snapshot moved"},
         {"error", covers.ok() ? "covers " + std::to_string(covers.value) : covers.st.message}});
    set_phase(shard, none);
    return false;
  }
  write_job job;
  job.what = "cluster.restore";
  auto bad = std::make_shared<std::size_t>(0);
  auto indexed = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
  auto wakes = std::make_shared<std::vector<std::pair<std::string, int64_t>>>();
  job.apply = [batches, mine = users_of(shard), bad, indexed, wakes](write_txn& txn,
                                                                      write_notes&) {
    indexed->clear(); // a run again after the map grew
    wakes->clear();
    owners::drop_users(txn, mine);
    for (const auto& b : *batches) {
      auto muts = decode_mutations(b);
      if (!muts) {
        ++*bad; // not ours to guess at: logged, skipped
        continue;
      }
      apply_mutations(txn, *muts);
    }
    // Numbers taken on other nodes stay unique here (store::partition_seqs).
    meta::raise_outbox_seq(txn, outbox::highest_seq(txn));
    users::each(txn, "", [&](const user_record& rec) {
      if (mine(rec.user)) {
        wakes->emplace_back(rec.user, rec.next_fetch_at);
        for (auto& id : users::instagram_ids(rec)) {
          indexed->emplace_back(std::move(id), rec.user);
        }
      }
      return true;
    });
  };
  if (!unlogged(std::move(job))) {
    set_phase(shard, none);
    return false;
  }
  auto tail = batches->size() - (from_snapshot ? 1 : 0);
  expected_last_[shard] = std::max(claimed.value, last.value);
  since_snapshot_[shard] = tail;
  snapshot_covers_[shard] = after;
  auto was = static_cast<uint8_t>(restoring);
  if (!phase_[shard].compare_exchange_strong(was, owned)) {
    // The lease went while restoring (the hook made it none): the dropped
    // event queued behind this purges what was replayed.
    return true;
  }
  // The bucket heals from whatever a crash between a commit and its mirror
  // left out, after the restores queued meanwhile (one read per id).
  post({event::heal, shard, indexed, {}});
  for (auto* s : services_) {
    s->serve(shard);
  }
  // Only now, served: the scheduler takes the users out of its in-flight
  // set (a wake the registry refused while the shard was not served here
  // would hold them there for minutes) and wakes them, and the delivery
  // looks at the outbox again.
  write_job wake;
  wake.what = "cluster.serve";
  wake.apply = [wakes](write_txn&, write_notes& notes) {
    for (const auto& [user, due] : *wakes) {
      notes.wake(user, due);
    }
    notes.outbox_grew = true;
  };
  unlogged(std::move(wake));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::steady_clock::now() - start).count();
  ctx_.stats.inc("igbridge_cluster_restores_total");
  log(log_level::notice, "cluster.shard_restored",
      {{"shard", std::to_string(shard)}, {"snapshot_seq", std::to_string(after)},
       {"tail_batches", std::to_string(tail)}, {"undecodable", std::to_string(*bad)},
       {"ms", std::to_string(ms)}});
  return true;
}

bool shard_owner::snapshot(uint32_t shard) {
  snapshot_queued_[shard].store(false); // later appends may ask for the next one
  auto* link = link_.load();
  if (link == nullptr || phase_of(shard) != owned) {
    return false;
  }
  auto data = std::make_shared<std::string>();
  auto covers = std::make_shared<uint64_t>(0);
  auto records = std::make_shared<uint32_t>(0);
  write_job job;
  job.what = "cluster.snapshot";
  // On the writer's thread, after everything gathered committed: the
  // records are exactly the state as of the shard's last append.
  job.apply = [this, shard, data, covers, records](write_txn& txn, write_notes&) {
    data->clear();
    begin_batch(*data);
    *records = owners::dump_users(txn, users_of(shard), *data);
    end_batch(*data, *records);
    *covers = expected_last_[shard];
  };
  // Nothing new since this node's last snapshot (one asked for while that
  // one was being written); and none from a node that no longer holds the
  // lease: its compaction could cut the tail a new owner is reading.
  if (!unlogged(std::move(job)) || phase_of(shard) != owned || !node_->holds(shard)) {
    return false;
  }
  if (*covers <= snapshot_covers_[shard]) {
    return true; // the last one, written and compacted, is the state now
  }
  cluster::shard_log changelog(*link);
  auto w = changelog.write_snapshot(shard, *covers, *data);
  if (!w.ok()) {
    log(log_level::warning, "cluster.snapshot_failed",
        {{"shard", std::to_string(shard)}, {"error", w.st.message}});
    return false;
  }
  snapshot_covers_[shard] = *covers;
  // The changelog the snapshot covers goes (its last message stays: the
  // fence needs one).
  auto c = changelog.compact(shard, *covers);
  ctx_.stats.inc("igbridge_cluster_snapshots_total");
  log(log_level::info, "cluster.snapshot_written",
      {{"shard", std::to_string(shard)}, {"covers_seq", std::to_string(*covers)},
       {"records", std::to_string(*records)}, {"bytes", std::to_string(data->size())},
       {"compacted", c.ok() ? "true" : c.message}});
  return c.ok();
}

void shard_owner::leave(uint32_t shard, bool release) {
  // Hints delivered and not settled come again, to the next owner; admin
  // calls go to it.
  for (auto* s : services_) {
    s->unserve(shard);
  }
  if (release) {
    // Handed over: nothing new for the shard's users is accepted, while
    // what the writer committed is still published.
    if (phase_of(shard) == owned) {
      set_phase(shard, leaving);
    }
  }
  {
    caf::scoped_actor self{*sys_};
    self->request(registry_, job_timeout, shard_atom::value, shard)
      .receive([](uint64_t) {}, [](const caf::error&) {});
    // What the delivery has out at the sink for the shard ends here: its
    // completion is committed and published before the hand-over, so the
    // next owner does not send it again.
    auto until = std::chrono::steady_clock::now() + delivery_wait;
    for (;;) {
      uint64_t out = 0;
      self->request(delivery_, std::chrono::seconds(5), shard_atom::value, shard)
        .receive([&](uint64_t n) { out = n; }, [](const caf::error&) {});
      if (out == 0 || std::chrono::steady_clock::now() > until) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  write_job job;
  job.what = "cluster.purge";
  job.apply = [mine = users_of(shard)](write_txn& txn, write_notes&) {
    owners::drop_users(txn, mine);
  };
  // Unlogged jobs run after the batch gathered so far has committed and
  // been published: the shard's last changes are in its changelog now.
  unlogged(std::move(job));
  if (phase_of(shard) != restoring) {
    set_phase(shard, none);
  }
  log(log_level::notice, "cluster.shard_left",
      {{"shard", std::to_string(shard)}, {"handed_over", release ? "true" : "false"}});
  if (release) {
    node_->release(shard);
  }
}

} // namespace igbridge
