// subject_reader.hpp over an ordered push consumer: libnats recreates it
// on a gap, and the server paces it with flow control, so a snapshot of
// many chunks streams through without a pull loop of ours. Its end is
// known before it starts (the subject's last sequence, asked of the
// leader), so the read never waits for a message that will not come.

#include "subject_reader.hpp"

#include "link_impl.hpp"
#include "nats_util.hpp"

namespace igbridge::cluster {

result<msg_ptr> last_message(cluster_link& link, const char* stream, const std::string& subject) {
  natsMsg* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetLastMsg(&raw, link.internals().js, stream, subject.c_str(), nullptr, &jerr);
  msg_ptr msg(raw);
  if (s != NATS_OK) {
    return result<msg_ptr>::failure(nats_failure(s, jerr, "last message of " + subject));
  }
  return result<msg_ptr>::success(std::move(msg));
}

status purge_subject(cluster_link& link, const char* stream, const std::string& subject,
                     uint64_t below_seq) {
  if (below_seq == 1) {
    // Nothing is below 1, but the server (2.9 PurgeEx) reads sequence 1 as
    // "no sequence" and would purge every message of the subject.
    return {};
  }
  jsOptions o;
  jsOptions_Init(&o);
  o.Stream.Purge.Subject = subject.c_str();
  o.Stream.Purge.Sequence = below_seq;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_PurgeStream(link.internals().js, stream, &o, &jerr);
  return nats_status(s, jerr, "purge " + subject);
}

result<uint64_t> last_subject_seq(cluster_link& link, const char* stream,
                                  const std::string& subject) {
  auto last = last_message(link, stream, subject);
  if (last.ok()) {
    return result<uint64_t>::success(natsMsg_GetSequence(last.value.get()));
  }
  if (last.st.code == errc::not_found) {
    return result<uint64_t>::success(0);
  }
  return result<uint64_t>::failure(last.st);
}

status read_subject(cluster_link& link, const char* stream, const std::string& subject,
                    uint64_t from_seq, uint64_t until_seq,
                    const std::function<bool(natsMsg* msg, uint64_t seq)>& each) {
  if (from_seq == 0) {
    from_seq = 1;
  }
  if (until_seq < from_seq) {
    return {};
  }
  auto& self = link.internals();
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream;
  so.Ordered = true;
  so.Config.DeliverPolicy = js_DeliverByStartSequence;
  so.Config.OptStartSeq = from_seq;
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_SubscribeSync(&sub, self.js, subject.c_str(), nullptr, &so, &jerr);
  if (s != NATS_OK) {
    return nats_failure(s, jerr, "read " + subject);
  }
  natsSubscription_SetPendingLimits(sub, -1, -1);
  status st;
  const int64_t wait_ms = self.opts.request_timeout.count();
  for (;;) {
    natsMsg* raw = nullptr;
    s = natsSubscription_NextMsg(&raw, sub, wait_ms);
    msg_ptr msg(raw);
    if (s != NATS_OK) {
      st = nats_failure(s, {}, "read " + subject);
      break;
    }
    jsMsgMetaData* meta = nullptr;
    s = natsMsg_GetMetaData(&meta, msg.get());
    if (s != NATS_OK) {
      st = nats_failure(s, {}, "metadata of " + subject);
      break;
    }
    uint64_t seq = meta->Sequence.Stream;
    uint64_t pending = meta->NumPending;
    jsMsgMetaData_Destroy(meta);
    if (seq > until_seq) {
      break;
    }
    if (!each(msg.get(), seq) || seq >= until_seq || pending == 0) {
      break;
    }
  }
  natsSubscription_Unsubscribe(sub); // deletes the ephemeral consumer
  natsSubscription_Destroy(sub);
  return st;
}

} // namespace igbridge::cluster
