// The changelog half of shard_log (changelog.hpp): fenced appends, claims
// and the ordered read a restore replays. Snapshots are snapshot.cpp.

#include "igbridge/cluster/changelog.hpp"

#include "headers.hpp"
#include "igbridge/cluster/chunks.hpp"
#include "igbridge/cluster/names.hpp"
#include "igbridge/crypto.hpp"
#include "nats_util.hpp"
#include "subject_reader.hpp"

namespace igbridge::cluster {

namespace {

constexpr int max_claim_attempts = 16;

publish_request batch_message(uint32_t shard, std::string_view part, uint64_t expected) {
  publish_request req;
  req.subject = names::log_subject(shard);
  req.data = std::string(part);
  req.headers.emplace_back(headers::kind, headers::kind_batch);
  req.expect_last_subject_seq = expected;
  return req;
}

} // namespace

shard_log::shard_log(cluster_link& link) : link_(&link) {
  // nop
}

result<uint64_t> shard_log::last_seq(uint32_t shard) const {
  return last_subject_seq(*link_, names::log_stream, names::log_subject(shard));
}

result<uint64_t> shard_log::claim(uint32_t shard) const {
  for (int attempt = 0; attempt < max_claim_attempts; ++attempt) {
    auto last = last_seq(shard);
    if (!last.ok()) {
      return last;
    }
    publish_request req;
    req.subject = names::log_subject(shard);
    req.headers.emplace_back(headers::kind, headers::kind_claim);
    req.headers.emplace_back(headers::node, link_->options().node_id);
    req.expect_last_subject_seq = last.value;
    auto r = link_->publish(req);
    if (r.st.code != errc::fenced) {
      return r; // claimed, or failed for a reason a retry here will not fix
    }
  }
  return result<uint64_t>::failure(
      {errc::fenced, "claim of shard " + std::to_string(shard) + ": the log keeps moving"});
}

result<uint64_t> shard_log::append(uint32_t shard, uint64_t expected_last,
                                   std::string_view batch) const {
  auto parts = split_chunks(batch, chunk_budget(link_->max_payload()));
  const std::string group = parts.size() > 1 ? random_token() : std::string();
  uint64_t expected = expected_last;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto req = batch_message(shard, parts[i], expected);
    if (parts.size() > 1) {
      chunk_tag tag{static_cast<uint32_t>(i), static_cast<uint32_t>(parts.size())};
      req.headers.emplace_back(headers::chunk, format_chunk_tag(tag));
      req.headers.emplace_back(headers::group, group);
    }
    auto r = link_->publish(req);
    if (!r.ok()) {
      return r;
    }
    expected = r.value;
  }
  return result<uint64_t>::success(expected);
}

void shard_log::append_async(uint32_t shard, uint64_t expected_last, std::string batch,
                             publish_done done) const {
  if (batch.size() <= chunk_budget(link_->max_payload())) {
    link_->publish_async(batch_message(shard, batch, expected_last), std::move(done));
    return;
  }
  // Chunks go one after another, each fenced on the previous one's sequence.
  run_async<uint64_t>(
      *link_,
      [self = *this, shard, expected_last, batch = std::move(batch)] {
        return self.append(shard, expected_last, batch);
      },
      std::move(done));
}

result<uint64_t> shard_log::read(uint32_t shard, uint64_t after_seq,
                                 const std::function<bool(const log_entry&)>& each) const {
  auto until = last_seq(shard);
  if (!until.ok()) {
    return until;
  }
  uint64_t last_read = after_seq;
  chunk_assembler chunks;
  auto st = read_subject(
      *link_, names::log_stream, names::log_subject(shard), after_seq + 1, until.value,
      [&](natsMsg* msg, uint64_t seq) {
        last_read = seq;
        std::string kind = header_of(msg, headers::kind);
        if (kind != headers::kind_batch) {
          chunks.reset(); // a claim between two chunks: their writer was fenced
          return true;
        }
        std::string tag_text = header_of(msg, headers::chunk);
        if (tag_text.empty()) {
          chunks.reset();
          return each(log_entry{seq, std::string(data_of(msg))});
        }
        auto tag = parse_chunk_tag(tag_text);
        if (!tag) {
          chunks.reset();
          return true;
        }
        auto whole = chunks.feed(header_of(msg, headers::group), *tag, data_of(msg));
        return !whole || each(log_entry{seq, std::move(*whole)});
      });
  if (!st.ok()) {
    return result<uint64_t>::failure(st);
  }
  return result<uint64_t>::success(last_read);
}

status shard_log::compact(uint32_t shard, uint64_t seq) const {
  if (seq == 0) {
    return {}; // a purge "below 0" would be a purge of everything, fence anchor included
  }
  // Purges below seq, keeps seq itself.
  return purge_subject(*link_, names::log_stream, names::log_subject(shard), seq);
}

} // namespace igbridge::cluster
