#pragma once
// The delivery actor's state and the steps its parts share: the pump
// (delivery.cpp), what a record's outcome writes (delivery_outcomes.cpp),
// media before delivery (delivery_media.cpp) and the sink strategies
// (jsonl_sink.cpp, webhook_sink.cpp, micropub_sink.cpp).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <string>
#include <utility>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "core/http_waiter.hpp"
#include "igbridge/context.hpp"
#include "igbridge/messages.hpp"
#include "delivery/media_fetch.hpp"

namespace igbridge {

class sink;

struct delivery_state {
  context_ptr ctx;
  writer_actor writer;
  std::unique_ptr<sink> out;    // the configured sink, chosen once
  media_store_actor media;      // empty: records go out without their media
  media_fetcher_actor fetcher;  // with media: downloads them
  std::size_t media_in_flight = 0; // records handed to the fetcher, not answered yet
  std::size_t media_busy = 0;      // and those whose stored media are being written
  /// Records whose media are stored, waiting to be written into the outbox:
  /// one writer job takes all that came while the previous one ran.
  std::vector<std::pair<uint64_t, std::vector<stored_media>>> media_done;
  bool media_writing = false;
  http_waiter http;
  std::set<uint64_t> in_flight; // sent, or being removed: not picked again
  /// Entries out at the sink, and their users: one in flight per user, so a
  /// user's events reach the host in commit order (DESIGN §9).
  std::unordered_map<uint64_t, std::string> at_sink;
  std::unordered_map<std::string, std::size_t> users_at_sink;
  /// Queued entries known to need no media download (any more): an entry
  /// that waits for its user's turn is not read again to learn it.
  std::unordered_set<uint64_t> media_ready;
  bool gone = false;            // the sink asked us to stop (410)
  bool draining = false;        // shutdown: start nothing new
  uint64_t tick_gen = 0;
  int64_t armed_tick = 0;
  std::vector<caf::typed_response_promise<bool>> drain_waiters;
  static inline const char* name = "igbridge.delivery";
};

using delivery_self = delivery_actor::stateful_pointer<delivery_state>;

/// How long one bookkeeping write may take before it counts as failed.
constexpr auto delivery_write_timeout = std::chrono::seconds{60};

// -- the pump (delivery.cpp) ----------------------------------------------------

/// Takes due records to the sink and the media fetcher, as room allows.
void pump(delivery_self self);
/// `e` goes to the sink now.
void mark_sent(delivery_state& st, const outbox_entry& e);
/// `seq`'s attempt is over (delivered, failed, or its media written).
void settle_flight(delivery_state& st, uint64_t seq);
/// Wakes the pump at `due` (unix seconds), unless it wakes earlier already.
void arm_tick(delivery_self self, int64_t due);
/// Answers shutdown waiters once nothing is in flight.
void answer_drain_waiters(delivery_state& st);
/// Counts an outcome in igbridge_deliveries_total.
void count(delivery_state& st, const char* outcome, double n = 1);
/// Observes a delivery's duration since `start`.
void observe_since(delivery_state& st, std::chrono::steady_clock::time_point start);
/// Runs `apply` in the writer; `done(ok)` afterwards, inside this actor.
void write(delivery_self self, const char* what,
           std::function<void(write_txn&, write_notes&)> apply, std::function<void(bool)> done);

// -- outcomes (delivery_outcomes.cpp) -------------------------------------------

/// The sink took these records: they leave the outbox.
void delivered(delivery_self self, std::vector<uint64_t> seqs, const char* outcome);
/// A Micropub create (or an update that moved the post) answered
/// `location`: the record leaves the outbox and the import keeps the URL,
/// in one writer job, so an update or delete that follows can name it.
void delivered_at(delivery_self self, uint64_t seq, std::string user, std::string media_id,
                  std::string location);
/// An attempt failed: each record is rescheduled, or dead-lettered after its
/// last try. `retry_after`: what the sink asked for (0: the schedule decides).
void failed(delivery_self self, std::vector<uint64_t> seqs, std::string why, int64_t retry_after);
/// The sink asked us to stop (410): deliveries are held, durably, until the
/// sink's URL changes.
void sink_gone(delivery_self self, uint64_t seq, const std::string& url);
/// The outcome of one HTTP delivery: 2xx delivered, else failed (with the
/// answer's Retry-After).
void http_outcome(delivery_self self, uint64_t seq, const http_response& r);

// -- media (delivery_media.cpp) -------------------------------------------------

/// An import whose media are not stored yet (DESIGN §8): it waits for them.
bool needs_media(const outbox_entry& e);
/// Hands a record that waits for its media to the fetcher.
void start_media(delivery_self self, outbox_entry& e);
/// The fetcher's report on one record.
void media_fetched(delivery_self self, uint64_t seq, media_result& r);

} // namespace igbridge
