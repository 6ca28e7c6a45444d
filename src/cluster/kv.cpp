// kv_bucket (kv.hpp) over the KV_<bucket> stream that js_CreateKeyValue
// made. libnats 3.4.1's kvStore_* reads may come from any replica and its
// writes hide the JetStream error code (so a lost compare-and-set cannot be
// told from a timeout) and has no conditional delete; so reads here ask the
// stream leader (js_GetLastMsg) and writes are plain fenced publishes to
// $KV.<bucket>.<key>, with the KV-Operation header for deletes, as the KV
// protocol defines them.

#include "igbridge/cluster/kv.hpp"

#include "igbridge/cluster/names.hpp"
#include "link_impl.hpp"
#include "nats_util.hpp"
#include "subject_reader.hpp"

namespace igbridge::cluster {

namespace {

constexpr const char* op_header = "KV-Operation";

struct stored {
  bool deleted = false; // the latest message is a delete or purge marker
  kv_entry entry;
};

/// The latest message of a key, markers included.
result<stored> latest(cluster_link& link, const std::string& stream, const std::string& subject) {
  auto msg = last_message(link, stream.c_str(), subject);
  if (!msg.ok()) {
    return result<stored>::failure(msg.st);
  }
  stored out;
  std::string op = header_of(msg.value.get(), op_header);
  out.deleted = op == "DEL" || op == "PURGE";
  out.entry.revision = natsMsg_GetSequence(msg.value.get());
  out.entry.value = std::string(data_of(msg.value.get()));
  return result<stored>::success(std::move(out));
}

} // namespace

kv_bucket::kv_bucket(cluster_link& link, std::string bucket)
    : link_(&link), bucket_(std::move(bucket)), stream_("KV_" + bucket_) {
  // nop
}

std::string kv_bucket::subject(std::string_view key) const {
  return "$KV." + bucket_ + "." + names::kv_key(key);
}

publish_request kv_bucket::write(std::string_view key, std::string_view value) const {
  publish_request req;
  req.subject = subject(key);
  req.data = std::string(value);
  return req;
}

result<kv_entry> kv_bucket::get(std::string_view key) const {
  auto r = latest(*link_, stream_, subject(key));
  if (!r.ok()) {
    return result<kv_entry>::failure(r.st);
  }
  if (r.value.deleted) {
    return result<kv_entry>::failure({errc::not_found, "deleted " + subject(key)});
  }
  return result<kv_entry>::success(std::move(r.value.entry));
}

result<uint64_t> kv_bucket::put(std::string_view key, std::string_view value) const {
  return link_->publish(write(key, value));
}

result<uint64_t> kv_bucket::create(std::string_view key, std::string_view value) const {
  return create_subject(subject(key), value);
}

result<uint64_t> kv_bucket::create_subject(const std::string& subject, std::string_view value) const {
  publish_request req;
  req.subject = subject;
  req.data = std::string(value);
  req.expect_last_subject_seq = 0;
  auto r = link_->publish(req);
  if (r.st.code != errc::fenced) {
    return r;
  }
  // The subject holds something: a live value, or a marker that a create
  // may replace (what kvStore_Create does too).
  auto last = latest(*link_, stream_, req.subject);
  if (last.ok() && last.value.deleted) {
    req.expect_last_subject_seq = last.value.entry.revision;
    r = link_->publish(req);
    if (r.st.code != errc::fenced) {
      return r;
    }
  } else if (!last.ok() && last.st.code != errc::not_found) {
    return result<uint64_t>::failure(last.st);
  }
  return result<uint64_t>::failure({errc::exists, req.subject + " holds a value"});
}

result<uint64_t> kv_bucket::update(std::string_view key, std::string_view value,
                                   uint64_t revision) const {
  auto req = write(key, value);
  req.expect_last_subject_seq = revision;
  return link_->publish(req);
}

status kv_bucket::remove(std::string_view key, uint64_t revision) const {
  auto req = write(key, "");
  req.headers.emplace_back(op_header, "DEL");
  if (revision != 0) {
    req.expect_last_subject_seq = revision;
  }
  return link_->publish(req).st;
}

result<kv_entry> kv_bucket::take(std::string_view key) const {
  auto got = get(key);
  if (!got.ok()) {
    return got;
  }
  // kv_key() never makes a '.', so "<key>.taken" is no other key's subject.
  auto marked = create_subject(subject(key) + ".taken", std::to_string(got.value.revision));
  if (marked.st.code == errc::exists) {
    return result<kv_entry>::failure({errc::not_found, subject(key) + " was taken already"});
  }
  if (!marked.ok()) {
    return result<kv_entry>::failure(marked.st);
  }
  remove(key, got.value.revision); // the marker decided; this only tidies
  return got;
}

status kv_bucket::purge(std::string_view key) const {
  return purge_subject(*link_, stream_.c_str(), subject(key));
}

status kv_bucket::release(std::string_view key, uint64_t revision) const {
  auto st = remove(key, revision);
  return st.ok() ? purge(key) : st;
}

result<std::vector<std::string>> kv_bucket::keys() const {
  using out = result<std::vector<std::string>>;
  std::string prefix = "$KV." + bucket_ + ".";
  std::string filter = prefix + ">";
  jsOptions o;
  jsOptions_Init(&o);
  o.Stream.Info.SubjectsFilter = filter.c_str();
  jsStreamInfo* raw = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&raw, link_->internals().js, stream_.c_str(), &o, &jerr);
  stream_info_ptr si(raw);
  if (s != NATS_OK) {
    return out::failure(nats_failure(s, jerr, "keys of " + bucket_));
  }
  std::vector<std::string> keys;
  if (const auto* subjects = si->State.Subjects) {
    for (int i = 0; i < subjects->Count; ++i) {
      std::string subj = subjects->List[i].Subject;
      if (subj.compare(0, prefix.size(), prefix) == 0) {
        keys.push_back(subj.substr(prefix.size()));
      }
    }
  }
  return out::success(std::move(keys));
}

void kv_bucket::get_async(std::string key, std::function<void(result<kv_entry>)> done) const {
  run_async<kv_entry>(*link_, [self = *this, key] { return self.get(key); }, std::move(done));
}

void kv_bucket::put_async(std::string key, std::string value, publish_done done) const {
  link_->publish_async(write(key, value), std::move(done));
}

void kv_bucket::create_async(std::string key, std::string value, publish_done done) const {
  run_async<uint64_t>(
      *link_, [self = *this, key, value] { return self.create(key, value); }, std::move(done));
}

void kv_bucket::update_async(std::string key, std::string value, uint64_t revision,
                             publish_done done) const {
  auto req = write(key, value);
  req.expect_last_subject_seq = revision;
  link_->publish_async(std::move(req), std::move(done));
}

void kv_bucket::remove_async(std::string key, uint64_t revision,
                             std::function<void(status)> done) const {
  run_async_status(
      *link_, [self = *this, key, revision] { return self.remove(key, revision); },
      std::move(done));
}

void kv_bucket::take_async(std::string key, std::function<void(result<kv_entry>)> done) const {
  run_async<kv_entry>(*link_, [self = *this, key] { return self.take(key); }, std::move(done));
}

kv_bucket oauth_states(cluster_link& link) {
  return kv_bucket(link, names::oauth_bucket);
}

kv_bucket deletion_codes(cluster_link& link) {
  return kv_bucket(link, names::deletions_bucket);
}

} // namespace igbridge::cluster
