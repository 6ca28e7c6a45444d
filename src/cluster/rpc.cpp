// Requests answered by a shard's owner (rpc.hpp): one core NATS
// subscription per served shard; a request waits on a link worker, since
// libnats 3.4.1's request call blocks.

#include "igbridge/cluster/rpc.hpp"

#include "igbridge/cluster/names.hpp"
#include "link_impl.hpp"
#include "nats_util.hpp"

namespace igbridge::cluster {

struct shard_rpc::core {
  uint32_t shard = 0;
  natsConnection* nc = nullptr;
  natsSubscription* sub = nullptr;
  std::shared_ptr<handler> on_request;
};

namespace {

void on_request_message(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) {
  msg_ptr msg(raw);
  auto* c = static_cast<shard_rpc::core*>(closure);
  const char* reply_to = natsMsg_GetReply(raw);
  if (reply_to == nullptr || *reply_to == '\0') {
    return; // nobody to answer
  }
  std::string subject(reply_to);
  auto* nc = c->nc;
  (*c->on_request)(c->shard, std::string(data_of(raw)), [nc, subject](std::string reply) {
    natsConnection_Publish(nc, subject.c_str(), reply.data(), static_cast<int>(reply.size()));
  });
}

/// The closure lives until the subscription's handler has returned for the
/// last time (libnats calls this after the close), not just until unserve.
void on_closed(void* closure) {
  delete static_cast<std::shared_ptr<shard_rpc::core>*>(closure);
}

void close_subscription(std::shared_ptr<shard_rpc::core> c) {
  auto* keep = new std::shared_ptr<shard_rpc::core>(c);
  if (natsSubscription_SetOnCompleteCB(c->sub, on_closed, keep) != NATS_OK) {
    delete keep; // already closed: no handler runs any more
  }
  natsSubscription_Unsubscribe(c->sub);
  natsSubscription_Destroy(c->sub);
}

} // namespace

shard_rpc::shard_rpc(cluster_link& link, handler on_request)
  : link_(&link), on_request_(std::make_shared<handler>(std::move(on_request))) {
  // nop
}

shard_rpc::~shard_rpc() {
  unserve_all();
}

status shard_rpc::serve(uint32_t shard) {
  std::lock_guard<std::mutex> lock(mu_);
  if (served_.count(shard) != 0) {
    return {};
  }
  auto c = std::make_shared<core>();
  c->shard = shard;
  c->nc = link_->internals().nc;
  c->on_request = on_request_;
  auto subject = names::rpc_subject(shard);
  natsStatus s = natsConnection_Subscribe(&c->sub, c->nc, subject.c_str(), on_request_message,
                                          c.get());
  if (s != NATS_OK) {
    return nats_failure(s, static_cast<jsErrCode>(0), "subscribe " + subject);
  }
  served_.emplace(shard, std::move(c));
  return {};
}

void shard_rpc::unserve(uint32_t shard) {
  std::shared_ptr<core> c;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto i = served_.find(shard);
    if (i == served_.end()) {
      return;
    }
    c = std::move(i->second);
    served_.erase(i);
  }
  close_subscription(std::move(c));
}

void shard_rpc::unserve_all() {
  std::map<uint32_t, std::shared_ptr<core>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all.swap(served_);
  }
  for (auto& [shard, c] : all) {
    close_subscription(std::move(c));
  }
}

void shard_rpc::ask(uint32_t shard, std::string request, std::chrono::milliseconds timeout,
                    std::function<void(result<std::string>)> done) const {
  auto* nc = link_->internals().nc;
  run_async<std::string>(
    *link_,
    [nc, shard, request = std::move(request), timeout]() -> result<std::string> {
      natsMsg* raw = nullptr;
      auto subject = names::rpc_subject(shard);
      natsStatus s = natsConnection_Request(&raw, nc, subject.c_str(), request.data(),
                                            static_cast<int>(request.size()),
                                            static_cast<int64_t>(timeout.count()));
      msg_ptr reply(raw);
      if (s == NATS_NO_RESPONDERS) {
        return result<std::string>::failure(
          {errc::no_quorum, "no node serves shard " + std::to_string(shard) + " right now"});
      }
      if (s == NATS_TIMEOUT) {
        return result<std::string>::failure(
          {errc::timeout, "the owner of shard " + std::to_string(shard) + " did not answer"});
      }
      if (s != NATS_OK) {
        return result<std::string>::failure(
          nats_failure(s, static_cast<jsErrCode>(0), "request " + subject));
      }
      return result<std::string>::success(std::string(data_of(reply.get())));
    },
    std::move(done));
}

} // namespace igbridge::cluster
