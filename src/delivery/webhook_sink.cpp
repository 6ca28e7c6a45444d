// The Standard Webhooks sink: each event is POSTed, signed with every
// secret of sink.secret_file, to sink.url, up to sink.concurrency at a
// time; 2xx is delivered, 410 stops every delivery (the host asked us
// to), anything else is retried. The Micropub sink sends its account
// events the same way (send_standard_webhook).

#include <caf/all.hpp>

#include "delivery/sink.hpp"
#include "igbridge/sink_format.hpp"

namespace igbridge {

void send_standard_webhook(delivery_self self, const std::string& url,
                           const std::vector<std::string>& secrets, const outbox_entry& e,
                           bool gone_stops) {
  auto& st = self->state;
  auto seq = e.seq;
  auto start = std::chrono::steady_clock::now();
  st.http.call(st.ctx->http, caf::actor_cast<delivery_actor>(self),
               webhook_request(url, secrets, e, st.ctx->now()),
               std::chrono::seconds(st.ctx->cfg.sink.timeout_s),
               [self, seq, start, url, gone_stops](http_response r) {
                 observe_since(self->state, start);
                 if (r.status == 410 && gone_stops) {
                   return sink_gone(self, seq, url);
                 }
                 http_outcome(self, seq, r);
               });
}

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
    auto live = self->state.ctx->live(); // the secrets as the last reload left them
    const auto& cfg = live->cfg.sink;
    for (auto& e : due) {
      send_standard_webhook(self, cfg.url, cfg.secrets, e, true);
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
