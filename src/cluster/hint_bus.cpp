// hint_bus (hints.hpp): a hint is one message on igb.hints.<shard>; its ack
// is the stream's, which JetStream sends once a quorum stored it.

#include "igbridge/cluster/hints.hpp"
#include "igbridge/cluster/names.hpp"

namespace igbridge::cluster {

namespace {

publish_request hint_message(uint32_t shard, std::string_view payload, std::string_view msg_id) {
  publish_request req;
  req.subject = names::hint_subject(shard);
  req.data = std::string(payload);
  req.msg_id = std::string(msg_id);
  return req;
}

} // namespace

hint_bus::hint_bus(cluster_link& link) : link_(&link) {
  // nop
}

void hint_bus::publish_async(uint32_t shard, std::string payload, std::string msg_id,
                             publish_done done) const {
  link_->publish_async(hint_message(shard, payload, msg_id), std::move(done));
}

result<uint64_t> hint_bus::publish(uint32_t shard, std::string_view payload,
                                   std::string_view msg_id) const {
  return link_->publish(hint_message(shard, payload, msg_id));
}

} // namespace igbridge::cluster
