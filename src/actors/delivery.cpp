// The delivery actor drains the outbox to the configured sink. A record
// leaves the outbox only after the sink confirmed it; failures are retried
// on the configured schedule and end as dead letters.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include <caf/all.hpp>

#include "keep_running.hpp"

#include "http_waiter.hpp"
#include "igbridge/actors.hpp"
#include "igbridge/clock.hpp"
#include "igbridge/log.hpp"
#include "igbridge/messages.hpp"
#include "igbridge/metrics.hpp"
#include "igbridge/records.hpp"
#include "igbridge/schedule.hpp"
#include "igbridge/sink_format.hpp"

namespace igbridge {

namespace {

constexpr std::string_view gone_key = "sink_gone";
constexpr std::size_t jsonl_batch = 256;

struct delivery_state {
  context_ptr ctx;
  http_waiter http;
  std::set<uint64_t> in_flight;
  int fd = -1;
  bool gone = false;      // the webhook endpoint answered 410
  bool draining = false;  // shutdown: start nothing new
  uint64_t tick_gen = 0;
  int64_t armed_tick = 0;
  std::vector<caf::response_promise> drain_waiters;
  static inline const char* name = "igbridge.delivery";
  ~delivery_state() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

using delivery_self = caf::stateful_actor<delivery_state>*;

void observe_since(delivery_state& st, std::chrono::steady_clock::time_point start) {
  if (st.ctx->stats) {
    st.ctx->stats->observe(
      "igbridge_delivery_duration_seconds", {{"sink", st.ctx->cfg.sink.type}},
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
}

void count(delivery_state& st, const char* outcome, double n = 1) {
  if (st.ctx->stats) {
    st.ctx->stats->inc("igbridge_deliveries_total", {{"outcome", outcome}}, n);
  }
}

void arm_tick(delivery_self self, int64_t due) {
  auto& st = self->state;
  if (st.armed_tick != 0 && st.armed_tick <= due) {
    return;
  }
  ++st.tick_gen;
  st.armed_tick = due;
  auto delay = std::max<int64_t>(0, due - st.ctx->now());
  self->delayed_send(self, std::chrono::seconds(delay), tick_atom::value, st.tick_gen);
}

void answer_drain_waiters(delivery_state& st) {
  if (st.draining && st.in_flight.empty()) {
    for (auto& rp : st.drain_waiters) {
      rp.deliver(true);
    }
    st.drain_waiters.clear();
  }
}

int64_t retry_after_of(const http_response& r) {
  auto v = header_value(r.headers, "Retry-After");
  if (v.empty()) {
    return 0;
  }
  char* end = nullptr;
  auto n = std::strtoll(v.c_str(), &end, 10);
  return end != v.c_str() && n > 0 ? n : 0;
}

/// Records a failed attempt: reschedule, or move to dead letters.
void note_failure(delivery_self self, uint64_t seq, const std::string& why,
                  int64_t retry_after) {
  auto& st = self->state;
  auto now = st.ctx->now();
  auto txn = st.ctx->db->write();
  auto v = txn.get(db::outbox, seq_key(seq));
  if (!v) {
    return; // erased meanwhile (data deletion)
  }
  auto e = decode_outbox(*v);
  if (!e) {
    return;
  }
  ++e->attempts;
  e->last_error = why;
  auto delay = delivery_delay_s(st.ctx->cfg.sink.retry_schedule_s, e->attempts, retry_after);
  if (delay < 0) {
    txn.del(db::outbox, seq_key(seq));
    txn.put(db::dead, seq_key(seq), encode(*e));
    txn.commit();
    count(st, "dead");
    log(log_level::error, "delivery.dead_letter",
        {{"seq", std::to_string(seq)}, {"id", e->id}, {"attempts", std::to_string(e->attempts)},
         {"error", why}});
    return;
  }
  e->next_attempt_at = now + delay;
  txn.put(db::outbox, seq_key(seq), encode(*e));
  txn.commit();
  count(st, "retry");
  log(log_level::warning, "delivery.retry",
      {{"seq", std::to_string(seq)}, {"id", e->id}, {"attempts", std::to_string(e->attempts)},
       {"retry_in_s", std::to_string(delay)}, {"error", why}});
  arm_tick(self, e->next_attempt_at);
}

void delivered(delivery_self self, const std::vector<uint64_t>& seqs, const char* outcome) {
  auto& st = self->state;
  auto txn = st.ctx->db->write();
  for (auto seq : seqs) {
    txn.del(db::outbox, seq_key(seq));
  }
  txn.commit();
  count(st, outcome, static_cast<double>(seqs.size()));
}

/// A crash in the middle of an append can leave a partial last line. Its
/// records are still in the outbox (they leave it only after the fsync), so
/// cut the fragment off rather than glue the next line onto it.
void drop_torn_tail(int fd, const std::string& path) {
  struct stat sb {};
  if (::fstat(fd, &sb) != 0 || sb.st_size == 0) {
    return;
  }
  char last = 0;
  if (::pread(fd, &last, 1, sb.st_size - 1) != 1 || last == '\n') {
    return;
  }
  off_t end = sb.st_size - 1; // the torn byte itself is not a newline
  off_t keep = 0;
  char buf[4096];
  while (end > 0 && keep == 0) {
    off_t start = std::max<off_t>(0, end - static_cast<off_t>(sizeof buf));
    auto n = ::pread(fd, buf, static_cast<std::size_t>(end - start), start);
    if (n <= 0) {
      return; // cannot tell: leave the file alone
    }
    for (auto i = n; i > 0; --i) {
      if (buf[i - 1] == '\n') {
        keep = start + i;
        break;
      }
    }
    end = start;
  }
  if (::ftruncate(fd, keep) == 0) {
    ::fsync(fd);
    log(log_level::warning, "sink.torn_line_dropped",
        {{"path", path}, {"bytes", std::to_string(sb.st_size - keep)}});
  }
}

bool open_jsonl(delivery_state& st) {
  if (st.fd >= 0) {
    return true;
  }
  const auto& path = st.ctx->cfg.sink.path;
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
  }
  st.fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (st.fd < 0) {
    log(log_level::error, "sink.open_failed", {{"path", path}, {"error", std::strerror(errno)}});
    return false;
  }
  drop_torn_tail(st.fd, path);
  return true;
}

bool write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    auto n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

/// JSONL: append a batch, fsync once, then drop the batch from the outbox.
/// A crash between fsync and the commit redelivers that batch: the host
/// de-duplicates by record id, as for any at-least-once sink.
bool pump_jsonl(delivery_self self, std::vector<outbox_entry>& due) {
  auto& st = self->state;
  if (!open_jsonl(st)) {
    for (auto& e : due) {
      note_failure(self, e.seq, "cannot open sink file", 0);
    }
    return false;
  }
  auto now = st.ctx->now();
  auto start = std::chrono::steady_clock::now();
  std::string lines;
  std::vector<uint64_t> seqs;
  for (auto& e : due) {
    lines += jsonl_line(e, now);
    seqs.push_back(e.seq);
  }
  if (!write_all(st.fd, lines) || ::fsync(st.fd) != 0) {
    std::string why = std::string("write failed: ") + std::strerror(errno);
    ::close(st.fd);
    st.fd = -1;
    for (auto s : seqs) {
      note_failure(self, s, why, 0);
    }
    return false;
  }
  delivered(self, seqs, "delivered");
  observe_since(st, start);
  return true;
}

void pump(delivery_self self);

void on_http_result(delivery_self self, uint64_t seq, http_response r,
                    std::chrono::steady_clock::time_point start) {
  auto& st = self->state;
  st.in_flight.erase(seq);
  observe_since(st, start);
  const auto& sink = st.ctx->cfg.sink;
  if (r.status >= 200 && r.status < 300) {
    delivered(self, {seq}, "delivered");
  } else if (r.status == 410 && sink.type == "webhook") {
    st.gone = true;
    auto txn = st.ctx->db->write();
    txn.put(db::meta, gone_key, sink.url);
    txn.commit();
    count(st, "gone");
    log(log_level::error, "sink.gone",
        {{"status", "410"}, {"detail", "the endpoint asked us to stop; deliveries are held"}});
  } else {
    auto why = r.status == 0 ? r.error : "HTTP " + std::to_string(r.status);
    note_failure(self, seq, why, retry_after_of(r));
  }
  answer_drain_waiters(st);
  pump(self);
}

void pump(delivery_self self) {
  auto& st = self->state;
  if (st.gone || st.draining) {
    return;
  }
  const auto& sink = st.ctx->cfg.sink;
  bool is_jsonl = sink.type == "jsonl";
  auto now = st.ctx->now();
  std::size_t room = is_jsonl ? jsonl_batch
                              : static_cast<std::size_t>(std::max(1, sink.concurrency))
                                  - std::min(st.in_flight.size(),
                                             static_cast<std::size_t>(sink.concurrency));
  std::vector<outbox_entry> due;
  int64_t next_due = 0;
  bool more = false;
  {
    auto txn = st.ctx->db->read();
    txn.scan(db::outbox, "", [&](std::string_view, std::string_view v) {
      auto e = decode_outbox(v);
      if (!e || st.in_flight.count(e->seq)) {
        return true;
      }
      if (e->next_attempt_at > now) {
        next_due = next_due == 0 ? e->next_attempt_at : std::min(next_due, e->next_attempt_at);
        return true;
      }
      if (due.size() >= room) {
        more = true;
        return false;
      }
      due.push_back(std::move(*e));
      return true;
    });
  }
  if (next_due != 0) {
    arm_tick(self, next_due);
  }
  if (due.empty()) {
    return;
  }
  if (is_jsonl) {
    if (pump_jsonl(self, due) && more) {
      self->send(self, kick_atom::value);
    }
    return;
  }
  for (auto& e : due) {
    if (sink.type == "micropub" && e.type != "media.imported") {
      // Micropub has no notion of account events; nothing to send.
      delivered(self, {e.seq}, "skipped");
      continue;
    }
    auto req = sink.type == "webhook" ? webhook_request(sink.url, sink.secret, e, now)
                                      : micropub_request(sink.url, sink.token, e);
    auto seq = e.seq;
    st.in_flight.insert(seq);
    auto start = std::chrono::steady_clock::now();
    st.http.call(*st.ctx->http, caf::actor_cast<caf::actor>(self), std::move(req),
                 std::chrono::seconds(sink.timeout_s), [self, seq, start](http_response r) {
                   on_http_result(self, seq, std::move(r), start);
                 });
  }
}

template <class F>
void guarded(const char* what, F f) {
  try {
    f();
  } catch (const std::exception& e) {
    log(log_level::error, what, {{"error", e.what()}});
  }
}

caf::behavior delivery_actor(delivery_self self, context_ptr ctx) {
  self->state.ctx = std::move(ctx);
  keep_running(self, "delivery");
  guarded("delivery.init_failed", [&] {
    auto& st = self->state;
    if (st.ctx->cfg.sink.type == "webhook") {
      auto v = st.ctx->db->read().get(db::meta, gone_key);
      st.gone = v && *v == st.ctx->cfg.sink.url;
    }
  });
  self->send(self, kick_atom::value);
  return {
    [=](kick_atom) { guarded("delivery.pump_failed", [&] { pump(self); }); },
    [=](tick_atom, uint64_t gen) {
      if (gen != self->state.tick_gen) {
        return;
      }
      self->state.armed_tick = 0;
      guarded("delivery.pump_failed", [&] { pump(self); });
    },
    [=](replay_atom, uint64_t seq) -> bool {
      bool ok = false;
      guarded("delivery.replay_failed", [&] {
        auto& st = self->state;
        auto txn = st.ctx->db->write();
        auto v = txn.get(db::dead, seq_key(seq));
        if (!v) {
          return;
        }
        auto e = decode_outbox(*v);
        if (!e) {
          return;
        }
        e->attempts = 0;
        e->last_error.clear();
        e->next_attempt_at = st.ctx->now();
        txn.del(db::dead, seq_key(seq));
        txn.put(db::outbox, seq_key(seq), encode(*e));
        txn.commit();
        ok = true;
        log(log_level::notice, "delivery.replay", {{"seq", std::to_string(seq)}, {"id", e->id}});
      });
      if (ok) {
        pump(self);
      }
      return ok;
    },
    [=](drain_atom) -> caf::response_promise {
      auto& st = self->state;
      st.draining = true;
      auto rp = self->make_response_promise();
      if (st.in_flight.empty()) {
        rp.deliver(true);
      } else {
        st.drain_waiters.push_back(rp);
      }
      return rp;
    },
    [=](http_done_atom, http_reply& reply) {
      guarded("delivery.result_failed", [&] { self->state.http.complete(reply); });
    },
  };
}

} // namespace

caf::actor spawn_delivery(caf::actor_system& sys, context_ptr ctx) {
  return sys.spawn(delivery_actor, std::move(ctx));
}

} // namespace igbridge
