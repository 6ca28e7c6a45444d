// The writer: every LMDB write transaction of the daemon runs here, on a
// thread of its own, so no CAF worker ever waits on fsync. Jobs that arrive
// while a commit runs are gathered into the next one (group commit): each
// runs in a child transaction, so one failing job fails alone, and all of
// them share one fsync. A verified webhook's hints are fanned out to the
// users' inboxes here too (the inbox module's fan-out, in the batch's own
// transaction), and answered straight from the commit.

#include <caf/all.hpp>

#include "core/keep_running.hpp"

#include "igbridge/actors.hpp"
#include "igbridge/http_server.hpp"
#include "igbridge/log.hpp"
#include "igbridge/mutations.hpp"
#include "igbridge/store/inbox.hpp"
#include "igbridge/store/owners.hpp"
#include "api/responses.hpp"

namespace igbridge {

namespace {

/// A batch this large commits at once rather than growing without bound
/// while the mailbox keeps filling.
constexpr std::size_t max_batch = 2048;
/// Map growths tried for one batch before its jobs fail.
constexpr int max_growths = 8;
struct pending_job {
  write_job job;
  caf::typed_response_promise<write_result> rp;
};

/// The series the writer updates per commit and per webhook, resolved once.
struct writer_series {
  explicit writer_series(metrics& m)
    : commit_failed(m.at("igbridge_webhook_updates_total", {{"result", "commit_failed"}})),
      hints_scheduled(m.at("igbridge_webhook_hints_total", {{"result", "scheduled"}})),
      hints_unknown(m.at("igbridge_webhook_hints_total", {{"result", "unknown_account"}})),
      ack_duration(m.at("igbridge_webhook_ack_duration_seconds")),
      webhook_commits(m.at("igbridge_webhook_commits_total")),
      commits(m.at("igbridge_store_commits_total")),
      commit_duration(m.at("igbridge_store_commit_duration_seconds")),
      jobs_ok(m.at("igbridge_store_jobs_total", {{"result", "ok"}})),
      jobs_failed(m.at("igbridge_store_jobs_total", {{"result", "failed"}})) {
    // nop
  }
  metrics::series commit_failed;
  metrics::series hints_scheduled;
  metrics::series hints_unknown;
  metrics::series ack_duration;
  metrics::series webhook_commits;
  metrics::series commits;
  metrics::series commit_duration;
  metrics::series jobs_ok;
  metrics::series jobs_failed;
};

struct writer_state {
  context_ptr ctx;
  std::optional<writer_series> series;
  std::vector<pending_job> jobs;
  std::vector<hint_batch> ingests;
  inbox::fanout fanout; // remembers who the Instagram ids are until a job runs
  bool flush_pending = false;
  scheduler_actor scheduler;
  delivery_actor delivery;
  static inline const char* name = "igbridge.writer";
};

using writer_self = writer_actor::stateful_pointer<writer_state>;

void answer_ingests(writer_self self, std::vector<hint_batch>& batches,
                    const std::vector<inbox::fanout_count>& counts, const std::string& error) {
  const auto& series = *self->state.series;
  answer_batch together; // one hand-off per I/O thread for the whole commit
  for (std::size_t i = 0; i < batches.size(); ++i) {
    auto& b = batches[i];
    if (!error.empty() || i >= counts.size()) {
      series.commit_failed.inc();
      b.reply->respond(json_error(503, "could not record the update"));
      continue;
    }
    auto [hinted, unknown] = counts[i];
    // One string, and no header list: the server labels a body as JSON.
    http_response r;
    r.status = 200;
    r.body.reserve(48);
    r.body.append("{\"hinted\":").append(std::to_string(hinted));
    r.body.append(",\"unknown\":").append(std::to_string(unknown)).append("}");
    // Counted before the answer leaves: a sender that reads /metrics on
    // its 200 must find its webhook there.
    series.ack_duration.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - b.received).count());
    series.hints_scheduled.inc(static_cast<double>(hinted));
    series.hints_unknown.inc(static_cast<double>(unknown));
    b.reply->respond(std::move(r));
  }
}

/// Cluster mode: a job may change only users whose shard this node owns
/// (their changes reach the shard's changelog; anyone else's would be a
/// write no owner knows of). Checked on the job's own changes before its
/// child transaction commits, so the job fails alone and nothing lands.
void check_owned(const context& ctx, const write_txn& child) {
  if (!ctx.writes_for) {
    return;
  }
  std::string_view stranger;
  for_each_mutation(child.captured(), [&](db d, mutation::kind op, std::string_view key,
                                          std::string_view value) {
    if (!stranger.empty()) {
      return;
    }
    auto user = owners::user_of(d, op, key, value);
    if (user && !ctx.writes_for(*user)) {
      stranger = *user;
    }
  });
  if (!stranger.empty()) {
    throw store_error("user " + std::string(stranger) + "'s shard is not owned by this node");
  }
}

/// Doubles the full map (no transaction may be open); the error when it
/// could not.
std::string grow_map(context& ctx) {
  try {
    ctx.db->grow();
  } catch (const std::exception& g) {
    return g.what();
  }
  ctx.stats.inc("igbridge_store_map_growths_total");
  log(log_level::notice, "store.map_grown",
      {{"map_bytes", std::to_string(ctx.db->usage().second)}});
  return {};
}

/// What one batch's transaction did.
struct batch_outcome {
  std::vector<write_result> results;        // per job
  std::vector<inbox::fanout_count> counts;  // per webhook payload
  write_notes notes;                        // for the actors, after the commit
  std::string changed; // what the commit made durable, encoded (capture on)
  std::string error;                        // the whole batch failed
};

/// Runs every job in a child transaction of its own (a failing job fails
/// alone) and every webhook payload's fan-out in the batch's transaction,
/// and commits once. A full map is grown and the batch run again from the
/// start, so jobs must start from what they captured.
batch_outcome run_batch(writer_self self, std::vector<pending_job>& jobs,
                        const std::vector<hint_batch>& ingests) {
  auto& st = self->state;
  batch_outcome out;
  for (int growth = 0;; ++growth) {
    out.results.assign(jobs.size(), write_result{});
    out.counts.clear();
    out.notes = write_notes{};
    try {
      auto txn = st.ctx->db->write();
      for (std::size_t i = 0; i < jobs.size(); ++i) {
        write_notes notes;
        try {
          auto child = txn.child();
          jobs[i].job.apply(child, notes);
          check_owned(*st.ctx, child);
          child.commit();
          out.results[i].ok = true;
          out.notes.merge(std::move(notes));
        } catch (const store_full&) {
          throw;
        } catch (const std::exception& e) {
          out.results[i].error = e.what();
          log(log_level::error, "store.job_failed",
              {{"job", jobs[i].job.what}, {"error", e.what()}});
        }
      }
      // Hints go straight into the batch's transaction: a child per
      // payload would isolate nothing (an ingest that throws fails the
      // whole batch anyway) and costs LMDB two large allocations and a
      // merge of its dirty pages each time.
      auto now = st.ctx->now();
      auto delay = st.ctx->cfg.import.webhook_delay_s;
      for (const auto& b : ingests) {
        out.counts.push_back(st.fanout.add(txn, out.notes, b.instagram_user_ids, now, delay));
      }
      txn.commit();
      out.changed = txn.take_mutations();
      return out;
    } catch (const store_full& e) {
      st.fanout.forget(); // what the aborted transaction read may be gone
      if (growth >= max_growths) {
        out.error = e.what();
        return out;
      }
      // No transaction is open here: growing is allowed once readers finish.
      if (auto failed = grow_map(*st.ctx); !failed.empty()) {
        out.error = failed;
        return out;
      }
    } catch (const std::exception& e) {
      out.error = e.what(); // the commit itself failed: disk full, I/O error
      st.fanout.forget();
      return out;
    }
  }
}

/// After a commit: the scheduler hears of moved wake-ups, the delivery of a
/// grown outbox, and media files no committed import needs go (here, and
/// in a cluster from IGB_MEDIA).
void tell_peers(writer_self self, write_notes& notes) {
  auto& st = self->state;
  if (!notes.wakes.empty() && st.scheduler) {
    self->send(st.scheduler, notes_atom::value, wake_notes{std::move(notes.wakes)});
  }
  if (notes.outbox_grew && st.delivery) {
    self->send(st.delivery, kick_atom::value);
  }
  remove_media_files(st.ctx->cfg.media.path, notes.media_gone);
  if (st.ctx->media_remove) {
    for (const auto& name : notes.media_gone) {
      st.ctx->media_remove(name); // cluster mode: IGB_MEDIA's copy too
    }
  }
}

/// Tells everyone what the batch did, in this order: the changelog (before
/// any effect leaves the node), the jobs' owners, the webhooks' senders,
/// then the scheduler and the delivery; removes unreferenced media files.
void report_batch(writer_self self, std::vector<pending_job>& jobs,
                  std::vector<hint_batch>& ingests, batch_outcome& out,
                  std::chrono::steady_clock::time_point start) {
  auto& st = self->state;
  const auto& series = *st.series;
  if (!out.error.empty()) {
    log(log_level::error, "store.commit_failed",
        {{"jobs", std::to_string(jobs.size())}, {"payloads", std::to_string(ingests.size())},
         {"error", out.error}});
    for (auto& r : out.results) {
      r = write_result{false, out.error};
    }
    out.notes = write_notes{};
  } else {
    if (st.ctx->on_commit && !out.changed.empty() && !st.ctx->on_commit(out.changed)) {
      // Committed here but not in the changelog: no effect may leave the
      // node, and no one is told it succeeded.
      out.error = "the commit could not be published to the changelog";
      for (auto& r : out.results) {
        r = write_result{false, out.error};
      }
      out.notes = write_notes{};
    }
    series.commits.inc();
    series.commit_duration.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (!ingests.empty()) {
      series.webhook_commits.inc();
    }
  }
  std::size_t failed = 0;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    failed += out.results[i].ok ? 0 : 1;
    jobs[i].rp.deliver(std::move(out.results[i]));
  }
  if (!jobs.empty()) {
    series.jobs_ok.inc(static_cast<double>(jobs.size() - failed));
    series.jobs_failed.inc(static_cast<double>(failed));
  }
  answer_ingests(self, ingests, out.counts, out.error);
  tell_peers(self, out.notes);
}

/// Runs the gathered jobs and ingests in one transaction and commits it.
void commit_batch(writer_self self) {
  auto& st = self->state;
  st.flush_pending = false;
  if (st.jobs.empty() && st.ingests.empty()) {
    return;
  }
  auto jobs = std::move(st.jobs);
  auto ingests = std::move(st.ingests);
  st.jobs.clear();
  st.ingests.clear();
  auto start = std::chrono::steady_clock::now();
  if (!jobs.empty()) {
    st.fanout.forget(); // a job may link, unlink or change a user
  }
  auto out = run_batch(self, jobs, ingests);
  report_batch(self, jobs, ingests, out, start);
}

/// A restore or purge of a shard: after everything gathered so far has
/// committed (and been published), in a transaction of its own whose
/// changes are not published: they are the changelog's own replayed, or a
/// shard's local copy dropped. Its notes go out as a batch's do.
write_result run_unlogged(writer_self self, write_job& job) {
  auto& st = self->state;
  commit_batch(self);
  write_notes notes;
  for (int growth = 0;; ++growth) {
    try {
      notes = write_notes{};
      auto txn = st.ctx->db->write();
      job.apply(txn, notes);
      txn.commit();
      txn.take_mutations(); // not a change of the shard's state
      st.fanout.forget();   // users came or went
      break;
    } catch (const store_full& e) {
      if (growth >= max_growths) {
        return write_result{false, e.what()};
      }
      if (auto failed = grow_map(*st.ctx); !failed.empty()) {
        return write_result{false, failed};
      }
    } catch (const std::exception& e) {
      st.fanout.forget();
      log(log_level::error, "store.job_failed", {{"job", job.what}, {"error", e.what()}});
      return write_result{false, e.what()};
    }
  }
  tell_peers(self, notes);
  return write_result{true, {}};
}

/// Commits after every message already in the mailbox has joined the batch.
void schedule_flush(writer_self self) {
  auto& st = self->state;
  if (st.jobs.size() + st.ingests.size() >= max_batch) {
    commit_batch(self);
    return;
  }
  if (!st.flush_pending) {
    st.flush_pending = true;
    self->send(self, flush_atom::value);
  }
}

writer_actor::behavior_type writer_fn(writer_self self, context_ptr ctx) {
  self->state.ctx = std::move(ctx);
  self->state.series.emplace(self->state.ctx->stats);
  keep_running(self, "writer");
  return {
    [=](write_atom, write_job& job) -> caf::typed_response_promise<write_result> {
      auto rp = self->make_response_promise<write_result>();
      self->state.jobs.push_back(pending_job{std::move(job), rp});
      schedule_flush(self);
      return rp;
    },
    [=](unlogged_atom, write_job& job) -> write_result { return run_unlogged(self, job); },
    [=](hint_batch& b) {
      self->state.ingests.push_back(std::move(b));
      schedule_flush(self);
    },
    [=](flush_atom) { commit_batch(self); },
    [=](peers_atom, scheduler_actor& scheduler, delivery_actor& delivery) {
      self->state.scheduler = std::move(scheduler);
      self->state.delivery = std::move(delivery);
    },
  };
}

} // namespace

writer_actor spawn_writer(caf::actor_system& sys, context_ptr ctx, bool detached) {
  if (detached) {
    return sys.spawn<caf::detached>(writer_fn, std::move(ctx));
  }
  return sys.spawn(writer_fn, std::move(ctx));
}

} // namespace igbridge
