// cluster_link: the libnats connection and JetStream context of one node
// (link.hpp). Options are chosen for a cluster that must notice a dead
// server quickly and never give up reconnecting: pings every 2 s, unlimited
// reconnects, and requests failed at once on a disconnect rather than left
// to time out. Async publishes use libnats' one ack handler per context, so
// each message's completion is found by the natsMsg pointer libnats hands back.

#include "igbridge/cluster/link.hpp"

#include <cstring>

#include "igbridge/log.hpp"
#include "link_impl.hpp"
#include "nats_util.hpp"

namespace igbridge::cluster {

namespace {

std::string connected_url(natsConnection* nc) {
  char buf[256] = {};
  if (natsConnection_GetConnectedUrl(nc, buf, sizeof buf) != NATS_OK) {
    return {};
  }
  return buf;
}

void on_disconnected(natsConnection* nc, void*) {
  if (natsConnection_IsClosed(nc)) {
    return; // our own close() at shutdown: nothing went wrong
  }
  log(log_level::warning, "cluster_nats_disconnected");
}

void on_reconnected(natsConnection* nc, void*) {
  log(log_level::notice, "cluster_nats_reconnected", {{"url", connected_url(nc)}});
}

void on_async_error(natsConnection*, natsSubscription*, natsStatus err, void*) {
  log(log_level::warning, "cluster_nats_error", {{"error", natsStatus_GetText(err)}});
}

/// Runs a completion, keeping exceptions out of libnats' C threads.
template <class Done, class Value>
void complete(Done& done, Value v) {
  try {
    done(std::move(v));
  } catch (const std::exception& e) {
    log(log_level::error, "cluster_completion_threw", {{"error", e.what()}});
  }
}

/// libnats' ack handler for every async publish of the link's context. It
/// owns `msg` from here on (libnats passes ownership to this handler).
void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* self = static_cast<cluster_link::impl*>(closure);
  publish_done done;
  {
    std::lock_guard<std::mutex> lock(self->mu);
    auto it = self->pending.find(msg);
    if (it != self->pending.end()) {
      done = std::move(it->second);
      self->pending.erase(it);
    }
  }
  natsMsg_Destroy(msg);
  if (!done) {
    return;
  }
  if (pa != nullptr) {
    complete(done, result<uint64_t>::success(pa->Sequence));
  } else {
    natsStatus s = pae != nullptr ? pae->Err : NATS_ERR;
    jsErrCode code = pae != nullptr ? pae->ErrCode : static_cast<jsErrCode>(0);
    const char* text = pae != nullptr && pae->ErrText != nullptr ? pae->ErrText : "";
    complete(done, result<uint64_t>::failure(nats_failure(s, code, "publish", text)));
  }
}

status make_options(cluster_link::impl& self) {
  const auto& o = self.opts;
  natsOptions* no = nullptr;
  natsStatus s = natsOptions_Create(&no);
  if (s != NATS_OK) {
    return nats_failure(s, {}, "natsOptions_Create");
  }
  self.nats_opts = no;
  std::vector<const char*> urls;
  for (const auto& u : o.urls) {
    urls.push_back(u.c_str());
  }
  std::string name = "igbridge " + o.node_id;
  s = natsOptions_SetServers(no, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetName(no, name.c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(no, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(no, o.reconnect_wait.count());
  if (s == NATS_OK) s = natsOptions_SetReconnectJitter(no, 100, 1000);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(no, 2000);
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(no, 3);
  if (s == NATS_OK) s = natsOptions_SetTimeout(no, 2000);
  if (s == NATS_OK) s = natsOptions_SetFailRequestsOnDisconnect(no, true);
  // Publishes go out at once instead of waiting for the client's flusher
  // thread, which gave each async publish (a webhook's hints) about 1 ms
  // more latency, and the cluster less ingest (bench/RESULTS.md, issue 22).
  if (s == NATS_OK) s = natsOptions_SetSendAsap(no, true);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(no, on_disconnected, nullptr);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(no, on_reconnected, nullptr);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(no, on_async_error, nullptr);
  if (s != NATS_OK) {
    return nats_failure(s, {}, "NATS options");
  }
  if (!o.creds_path.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(no, o.creds_path.c_str(), nullptr);
    if (s != NATS_OK) {
      return nats_failure(s, {}, "cluster.nats_creds_file");
    }
  }
  if (!o.tls_ca_path.empty()) {
    s = natsOptions_SetSecure(no, true);
    if (s == NATS_OK) s = natsOptions_LoadCATrustedCertificates(no, o.tls_ca_path.c_str());
    if (s != NATS_OK) {
      return nats_failure(s, {}, "cluster.nats_tls_ca_file");
    }
  }
  return {};
}

/// A natsMsg for `req`, and publish options that point into `req`.
natsStatus build(const publish_request& req, natsMsg** out, jsPubOptions& po, int64_t max_wait) {
  natsStatus s = natsMsg_Create(out, req.subject.c_str(), nullptr, req.data.data(),
                                static_cast<int>(req.data.size()));
  for (const auto& [k, v] : req.headers) {
    if (s == NATS_OK) {
      s = natsMsgHeader_Add(*out, k.c_str(), v.c_str());
    }
  }
  jsPubOptions_Init(&po);
  po.MaxWait = max_wait;
  if (!req.msg_id.empty()) {
    po.MsgId = req.msg_id.c_str();
  }
  if (req.expect_last_subject_seq) {
    if (*req.expect_last_subject_seq == 0) {
      po.ExpectNoMessage = true;
    } else {
      po.ExpectLastSubjectSeq = *req.expect_last_subject_seq;
    }
  }
  return s;
}

status closed_status() {
  return {errc::closed, "the cluster link is closing"};
}

} // namespace

cluster_link::cluster_link(std::unique_ptr<impl> i) : impl_(std::move(i)) {
  // nop
}

cluster_link::~cluster_link() {
  close();
}

result<std::unique_ptr<cluster_link>> cluster_link::connect(link_options opts) {
  using out = result<std::unique_ptr<cluster_link>>;
  if (opts.urls.empty()) {
    return out::failure({errc::invalid, "cluster.nats_urls: no URL"});
  }
  std::unique_ptr<cluster_link> link(new cluster_link(std::make_unique<impl>(std::move(opts))));
  auto& self = *link->impl_;
  if (auto st = make_options(self); !st.ok()) {
    return out::failure(st);
  }
  natsStatus s = natsConnection_Connect(&self.nc, self.nats_opts);
  if (s != NATS_OK) {
    return out::failure(nats_failure(s, {}, "connect to cluster.nats_urls"));
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = self.opts.request_timeout.count();
  jo.PublishAsync.MaxPending = 1 << 20; // bounded by the caller's own flow, not a stall
  jo.PublishAsync.AckHandler = on_ack;
  jo.PublishAsync.AckHandlerClosure = &self;
  s = natsConnection_JetStream(&self.js, self.nc, &jo);
  if (s != NATS_OK) {
    return out::failure(nats_failure(s, {}, "JetStream context"));
  }
  log(log_level::info, "cluster_nats_connected",
      {{"node", self.opts.node_id}, {"url", connected_url(self.nc)}});
  return out::success(std::move(link));
}

const link_options& cluster_link::options() const {
  return impl_->opts;
}

bool cluster_link::connected() const {
  return impl_->nc != nullptr && natsConnection_Status(impl_->nc) == NATS_CONN_STATUS_CONNECTED;
}

int64_t cluster_link::max_payload() const {
  return impl_->nc != nullptr ? natsConnection_GetMaxPayload(impl_->nc) : 0;
}

result<uint64_t> cluster_link::publish(const publish_request& req) {
  auto& self = *impl_;
  {
    std::lock_guard<std::mutex> lock(self.mu);
    if (self.closing) {
      return result<uint64_t>::failure(closed_status());
    }
  }
  natsMsg* raw = nullptr;
  jsPubOptions po;
  natsStatus s = build(req, &raw, po, self.opts.request_timeout.count());
  msg_ptr msg(raw);
  if (s != NATS_OK) {
    return result<uint64_t>::failure(nats_failure(s, {}, "publish " + req.subject));
  }
  jsPubAck* pa = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  s = js_PublishMsg(&pa, self.js, msg.get(), &po, &jerr);
  if (s != NATS_OK) {
    return result<uint64_t>::failure(nats_failure(s, jerr, "publish " + req.subject));
  }
  uint64_t seq = pa->Sequence;
  jsPubAck_Destroy(pa);
  return result<uint64_t>::success(seq);
}

void cluster_link::publish_async(publish_request req, publish_done done) {
  auto& self = *impl_;
  natsMsg* msg = nullptr;
  jsPubOptions po;
  natsStatus s = build(req, &msg, po, self.opts.publish_timeout.count());
  status failed;
  {
    std::lock_guard<std::mutex> lock(self.mu);
    if (self.closing) {
      failed = closed_status();
    } else if (s != NATS_OK) {
      failed = nats_failure(s, {}, "publish " + req.subject);
    } else {
      // Registered before libnats sees the message: its ack may arrive (on
      // another thread) before js_PublishMsgAsync returns.
      self.pending.emplace(msg, std::move(done));
    }
  }
  if (failed.ok()) {
    natsMsg* owned = msg;
    s = js_PublishMsgAsync(self.js, &owned, &po);
    if (s == NATS_OK) {
      return; // libnats owns the message; on_ack completes it
    }
    // Not sent: libnats neither owns the message nor will call on_ack.
    failed = nats_failure(s, {}, "publish " + req.subject);
    std::lock_guard<std::mutex> lock(self.mu);
    auto it = self.pending.find(msg);
    done = std::move(it->second);
    self.pending.erase(it);
  }
  natsMsg_Destroy(msg);
  if (failed.code == errc::closed) {
    complete(done, result<uint64_t>::failure(failed));
    return;
  }
  // Immediate failures (too large, disconnected with a full buffer) still
  // complete on a link thread, as the contract says.
  auto shared = std::make_shared<publish_done>(std::move(done));
  bool queued = self.workers.post(
      [shared, failed] { complete(*shared, result<uint64_t>::failure(failed)); });
  if (!queued) {
    complete(*shared, result<uint64_t>::failure(closed_status()));
  }
}

bool cluster_link::post(std::function<void()> job) {
  return impl_->workers.post(std::move(job));
}

void cluster_link::close() {
  auto& self = *impl_;
  {
    std::lock_guard<std::mutex> lock(self.mu);
    if (self.closing) {
      return;
    }
    self.closing = true;
  }
  self.workers.stop();
  bool in_flight = false;
  {
    std::lock_guard<std::mutex> lock(self.mu);
    in_flight = !self.pending.empty();
  }
  // libnats 3.4.1 crashes in js_PublishAsyncGetPendingList on a context
  // that never published async: ask only when something is in flight.
  if (self.js != nullptr && in_flight) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 2000;
    js_PublishAsyncComplete(self.js, &po);
    natsMsgList left{};
    if (js_PublishAsyncGetPendingList(&left, self.js) == NATS_OK) {
      natsMsgList_Destroy(&left); // their completions are failed below
    }
  }
  std::unordered_map<natsMsg*, publish_done> pending;
  {
    std::lock_guard<std::mutex> lock(self.mu);
    pending.swap(self.pending);
  }
  for (auto& [msg, done] : pending) {
    complete(done, result<uint64_t>::failure(closed_status()));
  }
  if (self.js != nullptr) {
    jsCtx_Destroy(self.js);
    self.js = nullptr;
  }
  if (self.nc != nullptr) {
    natsConnection_Close(self.nc);
    natsConnection_Destroy(self.nc);
    self.nc = nullptr;
  }
  if (self.nats_opts != nullptr) {
    natsOptions_Destroy(self.nats_opts);
    self.nats_opts = nullptr;
  }
}

} // namespace igbridge::cluster
