// The JSONL sink: records go to the file one batch at a time (the file
// keeps their order), written and fsynced by the file sink on a thread of
// its own.

#include <caf/all.hpp>

#include "delivery/sink.hpp"
#include "igbridge/sink_format.hpp"

namespace igbridge {

namespace {

constexpr std::size_t batch_size = 512;

class jsonl_sink final : public sink {
public:
  explicit jsonl_sink(file_sink_actor file) : file_(std::move(file)) {}

  const char* label() const override { return "jsonl"; }

  std::size_t room(std::size_t) const override { return batch_out_ ? 0 : batch_size; }

  bool keeps_batch_order() const override { return true; }

  void send(delivery_self self, std::vector<outbox_entry> due) override {
    auto now = self->state.ctx->now();
    jsonl_batch batch;
    for (auto& e : due) {
      batch.lines += jsonl_line(e, now);
      batch.seqs.push_back(e.seq);
    }
    batch_out_ = true;
    auto start = std::chrono::steady_clock::now();
    auto seqs = batch.seqs;
    self->request(file_, delivery_write_timeout, append_atom::value, std::move(batch))
      .then(
        [this, self, seqs, start](const std::string& error) {
          batch_out_ = false;
          observe_since(self->state, start);
          if (error.empty()) {
            delivered(self, seqs, "delivered");
          } else {
            failed(self, seqs, error, 0);
          }
        },
        [this, self, seqs](caf::error& e) {
          batch_out_ = false;
          failed(self, seqs, caf::to_string(e), 0);
        });
  }

private:
  file_sink_actor file_;
  bool batch_out_ = false; // one batch at a time: the file is appended in order
};

} // namespace

std::unique_ptr<sink> make_jsonl_sink(const context&, file_sink_actor file_sink) {
  return std::make_unique<jsonl_sink>(std::move(file_sink));
}

std::unique_ptr<sink> make_sink(const context& ctx, sink_kind kind, file_sink_actor file_sink) {
  switch (kind) {
    case sink_kind::jsonl:
      return make_jsonl_sink(ctx, std::move(file_sink));
    case sink_kind::webhook:
      return make_webhook_sink(ctx);
    case sink_kind::micropub:
      return make_micropub_sink(ctx);
  }
  return make_jsonl_sink(ctx, std::move(file_sink));
}

} // namespace igbridge
