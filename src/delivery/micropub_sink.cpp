// The Micropub sink: each import is posted by a micropub_post actor of its
// own (discovery, uploads, the create), up to sink.concurrency at a time;
// Micropub has no notion of account events, so those are taken as sent.

#include <unordered_map>

#include <caf/all.hpp>

#include "delivery/micropub_post.hpp"
#include "delivery/sink.hpp"

namespace igbridge {

namespace {

class micropub_sink final : public sink {
public:
  explicit micropub_sink(const context& ctx)
    : limit_(static_cast<std::size_t>(std::max(1, ctx.cfg.sink.concurrency))) {}

  const char* label() const override { return "micropub"; }

  std::size_t room(std::size_t at_sink) const override {
    return limit_ - std::min(at_sink, limit_);
  }

  void send(delivery_self self, std::vector<outbox_entry> due) override {
    auto& st = self->state;
    std::vector<uint64_t> skipped;
    for (auto& e : due) {
      if (e.type != event_type::media_imported) {
        skipped.push_back(e.seq);
        continue;
      }
      started_.emplace(e.seq, std::chrono::steady_clock::now());
      spawn_micropub_post(self, st.ctx, st.media, caf::actor_cast<delivery_actor>(self),
                          std::move(e), known_);
    }
    if (!skipped.empty()) {
      delivered(self, std::move(skipped), "skipped");
    }
  }

  void on_helper_report(delivery_self self, uint64_t seq, micropub_outcome& o) override {
    if (o.discovered) {
      known_ = {true, o.media_endpoint};
    }
    if (auto i = started_.find(seq); i != started_.end()) {
      observe_since(self->state, i->second);
      started_.erase(i);
    }
    http_outcome(self, seq, o.answer);
  }

private:
  std::size_t limit_;
  micropub_known known_; // the media endpoint, once asked
  std::unordered_map<uint64_t, std::chrono::steady_clock::time_point> started_;
};

} // namespace

std::unique_ptr<sink> make_micropub_sink(const context& ctx) {
  return std::make_unique<micropub_sink>(ctx);
}

} // namespace igbridge
