// The Standard Webhooks sink: each record is POSTed, signed, to sink.url,
// up to sink.concurrency at a time; 2xx is delivered, 410 stops every
// delivery (the host asked us to), anything else is retried.

#include <caf/all.hpp>

#include "delivery/sink.hpp"
#include "igbridge/sink_format.hpp"

namespace igbridge {

namespace {

class webhook_sink final : public sink {
public:
  explicit webhook_sink(const context& ctx)
    : limit_(static_cast<std::size_t>(std::max(1, ctx.cfg.sink.concurrency))) {}

  const char* label() const override { return "webhook"; }

  std::size_t room(std::size_t at_sink) const override {
    return limit_ - std::min(at_sink, limit_);
  }

  void send(delivery_self self, std::vector<outbox_entry> due) override {
    auto& st = self->state;
    auto now = st.ctx->now();
    auto live = st.ctx->live(); // the secret as the last reload left it
    const auto& cfg = live->cfg.sink;
    for (auto& e : due) {
      auto seq = e.seq;
      auto start = std::chrono::steady_clock::now();
      auto url = cfg.url;
      st.http.call(st.ctx->http, caf::actor_cast<delivery_actor>(self),
                   webhook_request(cfg.url, cfg.secret, e, now),
                   std::chrono::seconds(cfg.timeout_s),
                   [self, seq, start, url](http_response r) {
                     observe_since(self->state, start);
                     if (r.status == 410) {
                       return sink_gone(self, seq, url);
                     }
                     http_outcome(self, seq, r);
                   });
    }
  }

private:
  std::size_t limit_;
};

} // namespace

std::unique_ptr<sink> make_webhook_sink(const context& ctx) {
  return std::make_unique<webhook_sink>(ctx);
}

} // namespace igbridge
