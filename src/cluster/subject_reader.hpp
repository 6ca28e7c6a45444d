#pragma once
/// @brief Reads one subject of a stream in order, from a sequence to the
/// subject's last message at the time of the call: the tail of a shard's
/// changelog, a snapshot's chunks, a media file's chunks.

#include <nats/nats.h>

#include <functional>
#include <string>

#include "igbridge/cluster/link.hpp"
#include "nats_util.hpp"

namespace igbridge::cluster {

/// The last message of `subject` in `stream`, asked of the stream leader;
/// not_found when it has none. Blocks.
result<msg_ptr> last_message(cluster_link& link, const char* stream, const std::string& subject);

/// Drops the messages of `subject` (wildcards allowed) below `below_seq`,
/// or all of them when it is 0. Blocks.
status purge_subject(cluster_link& link, const char* stream, const std::string& subject,
                     uint64_t below_seq = 0);

/// The sequence of `subject`'s last message in `stream`; 0 when it has none.
/// Asks the stream leader, so it sees every acknowledged write. Blocks.
result<uint64_t> last_subject_seq(cluster_link& link, const char* stream,
                                  const std::string& subject);

/// Calls `each(msg, seq)` for every message of `subject` with sequence in
/// [from_seq, until_seq], in order, through an ordered consumer (flow
/// controlled, deleted afterwards). `each` returns false to stop early.
/// Blocks; each message must arrive within the link's request timeout.
status read_subject(cluster_link& link, const char* stream, const std::string& subject,
                    uint64_t from_seq, uint64_t until_seq,
                    const std::function<bool(natsMsg* msg, uint64_t seq)>& each);

} // namespace igbridge::cluster
