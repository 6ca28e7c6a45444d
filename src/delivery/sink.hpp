#pragma once
// How records leave for the host app: one strategy per sink type (the
// JSONL file, Standard Webhooks, Micropub), chosen once when the delivery
// actor starts. The pump asks the strategy how many records it may take and
// hands them over; every record's outcome comes back through the outcome
// functions of delivery.hpp.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "delivery/delivery.hpp"

namespace igbridge {

class sink {
public:
  virtual ~sink() = default;

  /// The metrics label (igbridge_delivery_duration_seconds{sink}).
  virtual const char* label() const = 0;

  /// How many due records a pass may hand over; `at_sink` are out already.
  virtual std::size_t room(std::size_t at_sink) const = 0;

  /// Whether a batch reaches the host in the order given, whole or not at
  /// all (the JSONL file): then a pass may hand over a user's consecutive
  /// entries together. Sinks that send each record on its own keep one of
  /// a user's records out at a time.
  virtual bool keeps_batch_order() const { return false; }

  /// Sends `due` (already marked in flight).
  virtual void send(delivery_self self, std::vector<outbox_entry> due) = 0;

  /// A helper actor's report on one record (Micropub posts through one);
  /// sinks without helpers get none.
  virtual void on_helper_report(delivery_self self, uint64_t seq, micropub_outcome& o) {
    // nop
  }
};

/// POSTs `e` to `url` as a Standard Webhooks event signed with each of
/// `secrets`, and reports the outcome (http_outcome); with `gone_stops` a
/// 410 holds every delivery (sink_gone), else it is one more failure.
void send_standard_webhook(delivery_self self, const std::string& url,
                           const std::vector<std::string>& secrets, const outbox_entry& e,
                           bool gone_stops);

/// The strategy for `kind`; the JSONL one writes through `file_sink`.
std::unique_ptr<sink> make_sink(const context& ctx, sink_kind kind, file_sink_actor file_sink);

std::unique_ptr<sink> make_jsonl_sink(const context& ctx, file_sink_actor file_sink);
std::unique_ptr<sink> make_webhook_sink(const context& ctx);
std::unique_ptr<sink> make_micropub_sink(const context& ctx);

} // namespace igbridge
