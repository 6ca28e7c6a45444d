// hint_consumer (hints.hpp): JetStream's pull protocol spoken directly over
// one async subscription, because libnats 3.4.1 can only pull with a
// blocking fetch. Each active shard has one long-poll request out, to
// $JS.API.CONSUMER.MSG.NEXT.IGB_HINTS.hints-<shard>, answered on
// <inbox>.<shard>.<generation>; the server ends a request with the batch
// filled or a status (404 no messages, 408 expired, 409 e.g. a leader
// change), after which the pump thread sends the next. A request lost with
// its server is noticed by its deadline and sent again. The generation
// tells a late status of a replaced request from the current one's.

#include <nats/nats.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "igbridge/cluster/hints.hpp"
#include "igbridge/cluster/names.hpp"
#include "igbridge/log.hpp"
#include "link_impl.hpp"
#include "nats_util.hpp"

namespace igbridge::cluster {

namespace {

using clock = std::chrono::steady_clock;

std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  for (;;) {
    auto dot = s.find('.', at);
    out.push_back(s.substr(at, dot == std::string_view::npos ? dot : dot - at));
    if (dot == std::string_view::npos) {
      return out;
    }
    at = dot + 1;
  }
}

uint64_t to_u64(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return 0;
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

struct ack_fields {
  bool ok = false;
  uint32_t shard = 0;      // from the consumer's name, hints-<shard>
  uint64_t deliveries = 0;
  uint64_t seq = 0;        // stream sequence
};

/// A delivered message's ack subject: v1
/// $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>
/// (server 2.9) or v2, which adds domain and account hash after $JS.ACK.
/// (The message itself keeps its stream subject, not our inbox.)
ack_fields parse_ack(std::string_view reply) {
  auto t = tokens(reply);
  std::size_t at = t.size() == 9 ? 2 : t.size() >= 11 ? 4 : 0;
  ack_fields f;
  std::string_view prefix = "hints-";
  if (at == 0 || t[at + 1].substr(0, prefix.size()) != prefix) {
    return f;
  }
  f.ok = true;
  f.shard = static_cast<uint32_t>(to_u64(t[at + 1].substr(prefix.size())));
  f.deliveries = to_u64(t[at + 2]);
  f.seq = to_u64(t[at + 3]);
  return f;
}

} // namespace

struct hint_consumer_core {
  struct shard_state {
    bool active = false;
    uint64_t generation = 0;  // of the request out now
    int owed = 0;             // messages the current request may still bring
    clock::time_point deadline;
    clock::time_point next_at; // when the next request may go (after a 409: later)
  };

  cluster_link* link = nullptr;
  hint_consumer_options opts;
  std::function<void(hint)> on_hint;
  std::string inbox;
  natsSubscription* sub = nullptr;

  std::mutex mu;
  std::condition_variable cv;
  std::map<uint32_t, shard_state> shards; // guarded by mu
  bool stopping = false;                   // guarded by mu
  bool closed = false;                     // guarded by mu: acks are refused
  std::thread pump;

  natsConnection* nc() { return link->internals().nc; }

  /// Sends the shard's next pull request. Called with mu held.
  void request(uint32_t shard, shard_state& st) {
    st.generation += 1;
    st.owed = opts.batch;
    auto expires = std::chrono::duration_cast<std::chrono::nanoseconds>(opts.expires).count();
    st.deadline = clock::now() + opts.expires + std::chrono::seconds(2);
    st.next_at = st.deadline;
    std::string subject = std::string("$JS.API.CONSUMER.MSG.NEXT.") + names::hints_stream + "."
                          + names::hint_consumer(shard);
    std::string reply = inbox + "." + std::to_string(shard) + "." + std::to_string(st.generation);
    std::string body = "{\"batch\":" + std::to_string(opts.batch)
                       + ",\"expires\":" + std::to_string(expires) + "}";
    natsStatus s = natsConnection_PublishRequest(nc(), subject.c_str(), reply.c_str(), body.data(),
                                                 static_cast<int>(body.size()));
    if (s != NATS_OK) {
      st.next_at = clock::now() + std::chrono::seconds(1); // disconnected: try again soon
    }
  }

  void run_pump() {
    std::unique_lock<std::mutex> lock(mu);
    while (!stopping) {
      auto now = clock::now();
      for (auto& [shard, st] : shards) {
        if (st.active && ((st.owed == 0 && now >= st.next_at) || now >= st.deadline)) {
          request(shard, st);
        }
      }
      cv.wait_for(lock, std::chrono::milliseconds(250));
    }
  }

  void on_message(natsMsg* raw) {
    msg_ptr msg(raw);
    std::string code = header_of(msg.get(), "Status");
    if (!code.empty()) {
      on_status(msg.get(), code);
      return;
    }
    const char* reply = natsMsg_GetReply(msg.get());
    auto ack = parse_ack(reply != nullptr ? reply : "");
    if (!ack.ok) {
      return;
    }
    std::unique_lock<std::mutex> lock(mu);
    auto it = shards.find(ack.shard);
    bool active = it != shards.end() && it->second.active;
    if (!active) {
      lock.unlock();
      // Not ours any more: let whoever consumes the shard now have it.
      natsConnection_PublishString(nc(), reply, "-NAK");
      return;
    }
    // Counted against the request out now (a replaced request's late
    // messages only make the next request go a little early).
    if (it->second.owed > 0 && --it->second.owed == 0) {
      cv.notify_all(); // batch complete: the pump asks for the next at once
    }
    lock.unlock();
    hint h;
    h.shard = ack.shard;
    h.seq = ack.seq;
    h.deliveries = ack.deliveries;
    h.payload = std::string(data_of(msg.get()));
    h.settle = hint_ack(self.lock(), reply);
    try {
      on_hint(std::move(h));
    } catch (const std::exception& e) {
      log(log_level::error, "cluster_hint_handler_threw", {{"error", e.what()}});
    }
  }

  /// A status ends a request (404 no messages, 408 expired, 409 refused)
  /// on its own reply subject, <inbox>.<shard>.<generation>; 100 is a
  /// heartbeat and needs nothing.
  void on_status(natsMsg* msg, const std::string& code) {
    auto t = tokens(natsMsg_GetSubject(msg));
    if (t.size() < 2 || code == "100") {
      return;
    }
    auto shard = static_cast<uint32_t>(to_u64(t[t.size() - 2]));
    uint64_t generation = to_u64(t.back());
    std::lock_guard<std::mutex> lock(mu);
    auto it = shards.find(shard);
    if (it == shards.end() || it->second.generation != generation) {
      return; // a replaced request's late answer
    }
    it->second.owed = 0;
    it->second.next_at = clock::now() + (code == "409" ? std::chrono::seconds(1)
                                                       : std::chrono::seconds(0));
    if (code == "409") {
      log(log_level::info, "cluster_hint_pull_refused",
          {{"shard", std::to_string(shard)}, {"why", header_of(msg, "Description")}});
    }
    cv.notify_all();
  }

  std::weak_ptr<hint_consumer_core> self;
};

namespace {

void on_hint_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  static_cast<hint_consumer_core*>(closure)->on_message(msg);
}

} // namespace

// -- hint_ack ------------------------------------------------------------------

hint_ack::hint_ack(std::shared_ptr<hint_consumer_core> core, std::string reply)
    : core_(std::move(core)), reply_(std::move(reply)) {
  // nop
}

status hint_ack::send(const char* what) const {
  if (!core_) {
    return {errc::invalid, "no hint to settle"};
  }
  std::lock_guard<std::mutex> lock(core_->mu);
  if (core_->closed) {
    return {errc::closed, "the hint consumer is stopped"};
  }
  natsStatus s = natsConnection_PublishString(core_->nc(), reply_.c_str(), what);
  return nats_status(s, {}, "settle hint");
}

status hint_ack::ack() const {
  return send("+ACK");
}

status hint_ack::nak() const {
  return send("-NAK");
}

status hint_ack::ack_sync() const {
  if (!core_) {
    return {errc::invalid, "no hint to settle"};
  }
  natsConnection* nc = nullptr;
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    if (core_->closed) {
      return {errc::closed, "the hint consumer is stopped"};
    }
    nc = core_->nc();
  }
  natsMsg* reply = nullptr;
  natsStatus s = natsConnection_RequestString(
      &reply, nc, reply_.c_str(), "+ACK", core_->link->options().request_timeout.count());
  natsMsg_Destroy(reply);
  return nats_status(s, {}, "ack hint");
}

// -- hint_consumer -------------------------------------------------------------

hint_consumer::hint_consumer(cluster_link& link, hint_consumer_options opts,
                             std::function<void(hint)> on_hint)
    : core_(std::make_shared<hint_consumer_core>()) {
  auto& c = *core_;
  c.self = core_;
  c.link = &link;
  c.opts = opts;
  c.on_hint = std::move(on_hint);
  natsInbox* inbox = nullptr;
  if (natsInbox_Create(&inbox) == NATS_OK) {
    c.inbox = inbox;
    natsInbox_Destroy(inbox);
  }
  std::string filter = c.inbox + ".*.*";
  natsStatus s =
      natsConnection_Subscribe(&c.sub, c.nc(), filter.c_str(), on_hint_message, core_.get());
  if (s != NATS_OK) {
    log(log_level::error, "cluster_hint_subscribe_failed",
        {{"error", nats_failure(s, {}, "subscribe").message}});
    c.sub = nullptr;
  } else {
    natsSubscription_SetPendingLimits(c.sub, -1, -1);
  }
  c.pump = std::thread([&c] { c.run_pump(); });
}

hint_consumer::~hint_consumer() {
  stop_all();
}

status hint_consumer::start(uint32_t shard) {
  auto& c = *core_;
  if (c.sub == nullptr) {
    return {errc::failed, "the hint subscription could not be made"};
  }
  std::string durable = names::hint_consumer(shard);
  std::string filter = names::hint_subject(shard);
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = durable.c_str();
  cc.FilterSubject = filter.c_str();
  cc.AckPolicy = js_AckExplicit;
  cc.DeliverPolicy = js_DeliverAll;
  cc.AckWait = std::chrono::duration_cast<std::chrono::nanoseconds>(c.opts.ack_wait).count();
  cc.MaxAckPending = c.opts.max_ack_pending;
  jsCtx* js = c.link->internals().js;
  // Right after a server died the stream may have no leader for a few
  // seconds: retry what time cures, as ensure_assets does.
  auto deadline = clock::now() + c.link->options().setup_timeout;
  for (;;) {
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_AddConsumer(nullptr, js, names::hints_stream, &cc, nullptr, &jerr);
    if (s != NATS_OK && jerr == JSConsumerNameExistErr) {
      // Made earlier with other settings (ack_wait changed): take ours.
      s = js_UpdateConsumer(nullptr, js, names::hints_stream, &cc, nullptr, &jerr);
    }
    if (s == NATS_OK) {
      break;
    }
    auto st = nats_failure(s, jerr, "hint consumer " + durable);
    bool transient = st.code == errc::timeout || st.code == errc::no_quorum
                     || st.code == errc::disconnected;
    if (!transient || clock::now() >= deadline) {
      return st;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto& st = c.shards[shard];
    st.active = true;
    st.owed = 0;
    st.next_at = clock::now();
  }
  c.cv.notify_all();
  return {};
}

void hint_consumer::stop(uint32_t shard) {
  std::lock_guard<std::mutex> lock(core_->mu);
  auto it = core_->shards.find(shard);
  if (it != core_->shards.end()) {
    it->second.active = false;
  }
}

void hint_consumer::stop_all() {
  auto& c = *core_;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.stopping) {
      return;
    }
    c.stopping = true;
    for (auto& [shard, st] : c.shards) {
      st.active = false;
    }
  }
  c.cv.notify_all();
  if (c.pump.joinable()) {
    c.pump.join();
  }
  if (c.sub != nullptr) {
    // Drain: the callback is not running, nor will it, once this returns.
    if (natsSubscription_Drain(c.sub) == NATS_OK) {
      natsSubscription_WaitForDrainCompletion(c.sub, 5000);
    }
    natsSubscription_Destroy(c.sub);
    c.sub = nullptr;
  }
  std::lock_guard<std::mutex> lock(c.mu);
  c.closed = true;
}

result<uint64_t> hint_consumer::lag(uint32_t shard) const {
  std::string durable = names::hint_consumer(shard);
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetConsumerInfo(&ci, core_->link->internals().js, names::hints_stream,
                                    durable.c_str(), nullptr, &jerr);
  if (s != NATS_OK) {
    return result<uint64_t>::failure(nats_failure(s, jerr, "hint consumer " + durable));
  }
  uint64_t lag = ci->NumPending + static_cast<uint64_t>(ci->NumAckPending);
  jsConsumerInfo_Destroy(ci);
  return result<uint64_t>::success(lag);
}

} // namespace igbridge::cluster
