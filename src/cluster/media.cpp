// media_store (media.hpp). A file's chunks are published one after another,
// the first only if the subject is empty and each next only right after
// the previous (the same fence as the changelog), so two nodes storing the
// same file cannot interleave: the loser finds the winner's copy. A copy
// left incomplete by a writer that died is purged and written again.

#include "igbridge/cluster/media.hpp"

#include <chrono>
#include <thread>

#include "headers.hpp"
#include "igbridge/cluster/chunks.hpp"
#include "igbridge/cluster/names.hpp"
#include "igbridge/crypto.hpp"
#include "nats_util.hpp"
#include "subject_reader.hpp"

namespace igbridge::cluster {

namespace {

bool sha256_hex_ok(std::string_view s) {
  if (s.size() != 64) {
    return false;
  }
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

} // namespace

media_store::media_store(cluster_link& link) : link_(&link) {
  // nop
}

result<bool> media_store::complete(const std::string& subject) const {
  auto msg = last_message(*link_, names::media_stream, subject);
  if (!msg.ok()) {
    return msg.st.code == errc::not_found ? result<bool>::success(false)
                                          : result<bool>::failure(msg.st);
  }
  auto tag = parse_chunk_tag(header_of(msg.value.get(), headers::chunk));
  return result<bool>::success(tag && tag->index + 1 == tag->count);
}

result<std::string> media_store::put(std::string_view bytes) const {
  using out = result<std::string>;
  const std::string sha = to_hex(sha256(bytes));
  const std::string subject = names::media_subject(sha);
  auto parts = split_chunks(bytes, chunk_budget(link_->max_payload()));
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto done = complete(subject);
    if (!done.ok()) {
      return out::failure(done.st);
    }
    if (done.value) {
      return out::success(sha);
    }
    if (auto last = last_subject_seq(*link_, names::media_stream, subject);
        last.ok() && last.value != 0) {
      if (attempt == 0) {
        // Someone may be writing it right now: give them a moment.
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        continue;
      }
      if (auto st = remove(sha); !st.ok()) {
        return out::failure(st);
      }
    }
    const std::string group = random_token();
    uint64_t expected = 0;
    status failed;
    for (std::size_t i = 0; i < parts.size() && failed.ok(); ++i) {
      publish_request req;
      req.subject = subject;
      req.data = std::string(parts[i]);
      req.headers.emplace_back(headers::chunk, format_chunk_tag({static_cast<uint32_t>(i),
                                                                 static_cast<uint32_t>(parts.size())}));
      req.headers.emplace_back(headers::group, group);
      req.expect_last_subject_seq = expected;
      auto r = link_->publish(req);
      failed = r.st;
      expected = r.value;
    }
    if (failed.ok()) {
      return out::success(sha);
    }
    if (failed.code != errc::fenced) {
      return out::failure(failed);
    }
    // Another node got in first: its copy is checked on the next round.
  }
  return out::failure({errc::failed, "media " + sha + ": could not store a complete copy"});
}

result<std::string> media_store::get(std::string_view sha256_hex) const {
  using out = result<std::string>;
  if (!sha256_hex_ok(sha256_hex)) {
    return out::failure({errc::invalid, "not a lowercase hex SHA-256"});
  }
  const std::string subject = names::media_subject(sha256_hex);
  auto last = last_subject_seq(*link_, names::media_stream, subject);
  if (!last.ok()) {
    return out::failure(last.st);
  }
  if (last.value == 0) {
    return out::failure({errc::not_found, "media " + std::string(sha256_hex) + " is not stored"});
  }
  std::optional<std::string> data;
  chunk_assembler chunks;
  auto st = read_subject(*link_, names::media_stream, subject, 1, last.value,
                         [&](natsMsg* msg, uint64_t) {
                           auto tag = parse_chunk_tag(header_of(msg, headers::chunk));
                           if (!tag) {
                             chunks.reset();
                             return true;
                           }
                           data = chunks.feed(header_of(msg, headers::group), *tag, data_of(msg));
                           return !data;
                         });
  if (!st.ok()) {
    return out::failure(st);
  }
  if (!data || to_hex(sha256(*data)) != sha256_hex) {
    return out::failure({errc::not_found, "media " + std::string(sha256_hex) + " is incomplete"});
  }
  return out::success(std::move(*data));
}

status media_store::remove(std::string_view sha256_hex) const {
  if (!sha256_hex_ok(sha256_hex)) {
    return {errc::invalid, "not a lowercase hex SHA-256"};
  }
  return purge_subject(*link_, names::media_stream, names::media_subject(sha256_hex));
}

void media_store::put_async(std::string bytes,
                            std::function<void(result<std::string>)> done) const {
  run_async<std::string>(
      *link_, [self = *this, bytes = std::move(bytes)] { return self.put(bytes); },
      std::move(done));
}

void media_store::get_async(std::string sha256_hex,
                            std::function<void(result<std::string>)> done) const {
  run_async<std::string>(
      *link_, [self = *this, sha256_hex] { return self.get(sha256_hex); }, std::move(done));
}

} // namespace igbridge::cluster
