// Media before delivery (DESIGN §8): a record that waits for its media goes
// to the fetcher; the stored copies are written into the record, with their
// references and the dashboard's entry, in one writer job per batch; then
// the record is due for the sink like any other.

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "delivery/delivery.hpp"
#include "igbridge/log.hpp"
#include "igbridge/media.hpp"
#include "igbridge/store/dashboard.hpp"
#include "igbridge/store/imports.hpp"
#include "igbridge/store/media_refs.hpp"
#include "igbridge/store/outbox.hpp"

namespace igbridge {

/// An import whose media are not stored yet (DESIGN §8): it waits for them.
/// The record is dumped with sorted keys and a string value cannot hold an
/// unescaped quote, so the key's text appears only as the key.
bool needs_media(const outbox_entry& e) {
  return e.type == event_type::media_imported && e.data.find("\"media\":[") == std::string::npos;
}

namespace {

/// Adds `"media":<media>` to the record's JSON text, as its last member:
/// the record is an object that never has the key yet (needs_media), so
/// this is what parsing, setting and dumping it would give but for the
/// order of its keys, at a fraction of the cost. False when `record` is no
/// JSON object text.
bool with_media(std::string& record, const std::string& media) {
  if (record.size() < 2 || record.front() != '{' || record.back() != '}') {
    return false;
  }
  record.pop_back();
  if (record.find_first_not_of(" \t\r\n", 1) != std::string::npos) {
    record += ',';
  }
  record += "\"media\":";
  record += media;
  record += '}';
  return true;
}

/// Stores the downloaded media in their records and their references,
/// for every record in `media_done`, in one writer job; then the records
/// are due for the sink like any other.
void write_media_done(delivery_self self) {
  auto& st = self->state;
  if (st.media_writing || st.media_done.empty()) {
    return;
  }
  struct done_record {
    uint64_t seq;
    std::string media; // the "media" array, as JSON
    std::vector<std::string> names;
  };
  auto batch = std::make_shared<std::vector<done_record>>();
  for (auto& [seq, media] : st.media_done) {
    auto list = nlohmann::json::array();
    std::vector<std::string> names;
    for (const auto& m : media) {
      list.push_back(to_json(m));
      names.push_back(media_name(m));
    }
    batch->push_back({seq, list.dump(), std::move(names)});
  }
  st.media_done.clear();
  st.media_writing = true;
  write(self, "media_stored",
        [batch](write_txn& txn, write_notes&) {
          std::vector<std::pair<std::string, std::string>> dashboard;
          for (const auto& d : *batch) {
            auto e = outbox::get(txn, d.seq);
            if (!e || !with_media(e->data, d.media)) {
              continue; // erased meanwhile (data deletion), or not a record
            }
            outbox::update(txn, *e, e->next_attempt_at);
            media_refs::add(txn, e->user, d.names);
            if (e->type == event_type::media_imported) {
              imports::set_files(txn, e->user, imports::media_id_of(e->id), d.names);
            }
            dashboard.emplace_back(e->id, d.media);
          }
          dashboard::note_stored_media(txn, dashboard);
        },
        [self, batch](bool ok) {
          auto& st = self->state;
          st.media_writing = false;
          st.media_busy -= batch->size();
          for (const auto& d : *batch) {
            settle_flight(st, d.seq);
          }
          if (!ok) {
            arm_tick(self, st.ctx->now() + 5);
          }
          write_media_done(self);
          answer_drain_waiters(st);
          pump(self);
        });
}

} // namespace

void start_media(delivery_self self, outbox_entry& e) {
  auto& st = self->state;
  st.in_flight.insert(e.seq);
  ++st.media_in_flight;
  ++st.media_busy;
  media_job job;
  job.seq = e.seq;
  job.user = e.user;
  constexpr std::string_view prefix = "instagram:";
  job.media_id = e.id.compare(0, prefix.size(), prefix) == 0 ? e.id.substr(prefix.size()) : e.id;
  job.record = std::move(e.data);
  self->send(st.fetcher, media_atom::value, std::move(job));
}

void media_fetched(delivery_self self, uint64_t seq, media_result& r) {
  auto& st = self->state;
  --st.media_in_flight;
  if (!r.error.empty()) {
    --st.media_busy; // at the sink's retry schedule now, like a failed delivery
    failed(self, {seq}, r.error, 0);
    return;
  }
  st.media_done.emplace_back(seq, std::move(r.media));
  write_media_done(self);
}

} // namespace igbridge
