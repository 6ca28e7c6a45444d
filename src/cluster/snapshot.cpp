// The snapshot half of shard_log (changelog.hpp). A snapshot is written as
// chunks first and only then made current by its head, a small JSON message
// naming the chunks' group, sequence range, size and SHA-256; so a writer
// that dies half-way leaves chunks nobody points to, which the next
// snapshot's clean-up purges. The head is a compare-and-set on the previous
// head and may only move forward (covers_seq grows): an owner that lost the
// shard cannot replace a newer snapshot with its older state.

#include <nlohmann/json.hpp>

#include "headers.hpp"
#include "igbridge/cluster/changelog.hpp"
#include "igbridge/cluster/chunks.hpp"
#include "igbridge/cluster/names.hpp"
#include "igbridge/crypto.hpp"
#include "igbridge/log.hpp"
#include "nats_util.hpp"
#include "subject_reader.hpp"

namespace igbridge::cluster {

namespace {

struct head {
  uint64_t seq = 0; // the head message's own sequence
  uint64_t covers = 0;
  std::string group;
  uint32_t chunks = 0;
  uint64_t first = 0; // sequence range of the chunks
  uint64_t last = 0;
  uint64_t bytes = 0;
  std::string sha256; // hex
};

/// The shard's current head; not_found when it never had a snapshot.
result<head> current_head(cluster_link& link, uint32_t shard) {
  auto subject = names::snap_head_subject(shard);
  auto msg = last_message(link, names::snap_stream, subject);
  if (!msg.ok()) {
    return result<head>::failure(msg.st);
  }
  auto j = nlohmann::json::parse(data_of(msg.value.get()), nullptr, false);
  head h;
  h.seq = natsMsg_GetSequence(msg.value.get());
  if (j.is_discarded() || !j.is_object()) {
    return result<head>::failure({errc::failed, subject + " is not a snapshot head"});
  }
  h.covers = j.value("covers", uint64_t{0});
  h.group = j.value("group", std::string());
  h.chunks = j.value("chunks", uint32_t{0});
  h.first = j.value("first", uint64_t{0});
  h.last = j.value("last", uint64_t{0});
  h.bytes = j.value("bytes", uint64_t{0});
  h.sha256 = j.value("sha256", std::string());
  return result<head>::success(std::move(h));
}

} // namespace

result<uint64_t> shard_log::write_snapshot(uint32_t shard, uint64_t covers_seq,
                                           std::string_view data) const {
  using out = result<uint64_t>;
  auto cur = current_head(*link_, shard);
  if (!cur.ok() && cur.st.code != errc::not_found) {
    return out::failure(cur.st);
  }
  if (cur.ok() && cur.value.covers >= covers_seq) {
    return out::failure({errc::fenced, "shard " + std::to_string(shard) + " has a snapshot covering "
                                           + std::to_string(cur.value.covers)});
  }
  auto parts = split_chunks(data, chunk_budget(link_->max_payload()));
  head h;
  h.covers = covers_seq;
  h.group = random_token();
  h.chunks = static_cast<uint32_t>(parts.size());
  h.bytes = data.size();
  h.sha256 = to_hex(sha256(data));
  for (std::size_t i = 0; i < parts.size(); ++i) {
    publish_request req;
    req.subject = names::snap_chunk_subject(shard);
    req.data = std::string(parts[i]);
    req.headers.emplace_back(headers::chunk, format_chunk_tag({static_cast<uint32_t>(i), h.chunks}));
    req.headers.emplace_back(headers::group, h.group);
    auto r = link_->publish(req);
    if (!r.ok()) {
      return r;
    }
    h.first = i == 0 ? r.value : h.first;
    h.last = r.value;
  }
  publish_request req;
  req.subject = names::snap_head_subject(shard);
  req.data = nlohmann::json{{"covers", h.covers}, {"group", h.group},   {"chunks", h.chunks},
                            {"first", h.first},   {"last", h.last},     {"bytes", h.bytes},
                            {"sha256", h.sha256}, {"node", link_->options().node_id}}
                 .dump();
  req.expect_last_subject_seq = cur.ok() ? cur.value.seq : 0;
  auto r = link_->publish(req);
  if (!r.ok()) {
    return r;
  }
  // Older snapshots (and chunks of abandoned ones) are below this one's first chunk.
  auto purged = purge_subject(*link_, names::snap_stream, names::snap_shard_subjects(shard), h.first);
  if (!purged.ok()) {
    // Harmless: the next snapshot purges them too.
    log(log_level::warning, "cluster_snapshot_purge_failed",
        {{"shard", std::to_string(shard)}, {"error", purged.message}});
  }
  return r;
}

result<uint64_t> shard_log::snapshot_covers(uint32_t shard) const {
  auto h = current_head(*link_, shard);
  if (!h.ok()) {
    return h.st.code == errc::not_found ? result<uint64_t>::success(0)
                                        : result<uint64_t>::failure(h.st);
  }
  return result<uint64_t>::success(h.value.covers);
}

result<snapshot> shard_log::read_snapshot(uint32_t shard) const {
  using out = result<snapshot>;
  auto h = current_head(*link_, shard);
  if (!h.ok()) {
    return out::failure(h.st);
  }
  std::optional<std::string> data;
  chunk_assembler chunks;
  auto st = read_subject(*link_, names::snap_stream, names::snap_chunk_subject(shard), h.value.first,
                         h.value.last, [&](natsMsg* msg, uint64_t) {
                           if (header_of(msg, headers::group) != h.value.group) {
                             return true;
                           }
                           auto tag = parse_chunk_tag(header_of(msg, headers::chunk));
                           if (tag) {
                             data = chunks.feed(h.value.group, *tag, data_of(msg));
                           }
                           return !data;
                         });
  if (!st.ok()) {
    return out::failure(st);
  }
  if (!data || data->size() != h.value.bytes || to_hex(sha256(*data)) != h.value.sha256) {
    return out::failure({errc::failed, "snapshot of shard " + std::to_string(shard)
                                           + " is incomplete or damaged"});
  }
  return out::success({h.value.covers, std::move(*data)});
}

} // namespace igbridge::cluster
