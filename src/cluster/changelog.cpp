// The changelog half of shard_log (changelog.hpp): fenced appends, claims
// and the ordered read a restore replays. Snapshots are snapshot.cpp.

#include "igbridge/cluster/changelog.hpp"

#include <charconv>
#include <optional>

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

/// What a fenced append's log really ends with, asked of the stream leader:
/// - one of this append's own chunks, stored by an earlier try (its
///   Nats-Msg-Id is `id` + "." + its index): that chunk's index and
///   sequence. (The server checks the fence before the duplicate window,
///   so a retry with the same Nats-Msg-Id is refused, not recognised.)
/// - a sequence below `expected`, which this writer saw acknowledged: a
///   leader just elected that has not applied its whole log yet (server
///   2.9 answers the fence from what it applied; 2.11 says "temporarily
///   unavailable" instead). Passing: no_quorum.
/// - anything else: someone else wrote after `expected`. Fenced.
struct fence_check {
  std::optional<std::pair<std::size_t, uint64_t>> ours;
  status st; // when not ours
};

fence_check check_fence(cluster_link& link, uint32_t shard, std::string_view id,
                        uint64_t expected, const status& fenced) {
  auto last = last_message(link, names::log_stream, names::log_subject(shard));
  if (!last.ok() && last.st.code != errc::not_found) {
    return {std::nullopt, last.st};
  }
  uint64_t seq = last.ok() ? natsMsg_GetSequence(last.value.get()) : 0;
  if (seq < expected) {
    return {std::nullopt,
            {errc::no_quorum, "the leader of " + names::log_subject(shard) + " has applied up to "
                                + std::to_string(seq) + ", not yet " + std::to_string(expected)}};
  }
  if (!last.ok() || id.empty()) {
    return {std::nullopt, fenced};
  }
  auto got = header_of(last.value.get(), "Nats-Msg-Id");
  std::size_t index = 0;
  auto digits = std::string_view(got).substr(std::min(got.size(), id.size() + 1));
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (got.size() <= id.size() + 1 || got.compare(0, id.size(), id) != 0 || got[id.size()] != '.'
      || ec != std::errc() || end != digits.data() + digits.size()) {
    return {std::nullopt, fenced};
  }
  return {std::make_pair(index, seq), {}};
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
                                   std::string_view batch, std::string_view id) const {
  auto parts = split_chunks(batch, chunk_budget(link_->max_payload()));
  // A retry's chunks must join the group of those already stored.
  const std::string group =
    parts.size() <= 1 ? std::string() : id.empty() ? random_token() : std::string(id);
  uint64_t expected = expected_last;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto req = batch_message(shard, parts[i], expected);
    if (parts.size() > 1) {
      chunk_tag tag{static_cast<uint32_t>(i), static_cast<uint32_t>(parts.size())};
      req.headers.emplace_back(headers::chunk, format_chunk_tag(tag));
      req.headers.emplace_back(headers::group, group);
    }
    if (!id.empty()) {
      req.msg_id = std::string(id) + "." + std::to_string(i);
    }
    auto r = link_->publish(req);
    if (r.st.code == errc::fenced) {
      auto c = check_fence(*link_, shard, id, expected, r.st);
      if (c.ours && c.ours->first >= i) {
        i = c.ours->first; // chunks up to it are stored: go on after it
        r = result<uint64_t>::success(c.ours->second);
      } else if (!c.st.ok()) {
        r = result<uint64_t>::failure(c.st);
      }
    }
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
