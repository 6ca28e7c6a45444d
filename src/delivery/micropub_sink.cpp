// The Micropub sink: each media event is posted by a micropub_post actor of
// its own, up to sink.concurrency at a time: media.imported creates the
// post, and the URL the server answers (Location) is kept with the import;
// media.updated and media.deleted update or delete that URL, and are
// skipped (with a warning) when none is known. Micropub has no account
// events: they go to sink.events_url as Standard Webhooks when it is set,
// else they are skipped. The deprecated link.revoked never went to
// Micropub and still does not.

#include <unordered_map>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include "delivery/micropub_post.hpp"
#include "delivery/sink.hpp"
#include "igbridge/log.hpp"
#include "igbridge/store/imports.hpp"

namespace igbridge {

namespace {

/// The media id a media event is about: its record's `media_id`, else the
/// one in its record `id` ("" when the data says neither).
std::string media_id_of(const outbox_entry& e) {
  auto j = nlohmann::json::parse(e.data, nullptr, false);
  if (!j.is_object()) {
    return {};
  }
  if (auto m = j.find("media_id"); m != j.end() && m->is_string()) {
    return m->get<std::string>();
  }
  if (auto id = j.find("id"); id != j.end() && id->is_string()) {
    return imports::media_id_of(id->get<std::string>());
  }
  return {};
}

class micropub_sink final : public sink {
public:
  explicit micropub_sink(const context& ctx)
    : limit_(static_cast<std::size_t>(std::max(1, ctx.cfg.sink.concurrency))) {}

  const char* label() const override { return "micropub"; }

  std::size_t room(std::size_t at_sink) const override {
    return limit_ - std::min(at_sink, limit_);
  }

  void send(delivery_self self, std::vector<outbox_entry> due) override {
    auto live = self->state.ctx->live(); // the events secrets as the last reload left them
    const auto& cfg = live->cfg.sink;
    std::vector<uint64_t> skipped;
    for (auto& e : due) {
      switch (e.type) {
        case event_type::media_imported: {
          auto media_id = media_id_of(e);
          post(self, std::move(e), std::move(media_id), {});
          break;
        }
        case event_type::media_updated:
        case event_type::media_deleted: {
          auto media_id = media_id_of(e);
          auto url = post_url(self->state, e.user, media_id);
          if (url.empty()) {
            log(log_level::warning, "micropub.skipped",
                {{"id", e.id}, {"type", to_string(e.type)},
                 {"why", "no Location is known for the post (not created through this sink)"}});
            skipped.push_back(e.seq);
            break;
          }
          post(self, std::move(e), std::move(media_id), std::move(url));
          break;
        }
        case event_type::link_revoked:
          skipped.push_back(e.seq); // deprecated, and never went to Micropub
          break;
        default: // the account events and test
          if (cfg.events_url.empty()) {
            skipped.push_back(e.seq);
          } else {
            send_standard_webhook(self, cfg.events_url, cfg.events_secrets, e, false);
          }
      }
    }
    if (!skipped.empty()) {
      delivered(self, std::move(skipped), "skipped");
    }
  }

  void on_helper_report(delivery_self self, uint64_t seq, micropub_outcome& o) override {
    if (o.discovered) {
      known_ = {true, o.media_endpoint};
    }
    auto i = started_.find(seq);
    if (i == started_.end()) {
      return http_outcome(self, seq, o.answer);
    }
    auto post = std::move(i->second);
    started_.erase(i);
    observe_since(self->state, post.start);
    bool ok = o.answer.status >= 200 && o.answer.status < 300;
    if (ok && !o.location.empty() && !post.media_id.empty()) {
      return delivered_at(self, seq, std::move(post.user), std::move(post.media_id),
                          std::move(o.location));
    }
    http_outcome(self, seq, o.answer);
  }

private:
  /// A post on its way: when it started, and whose import it is.
  struct started_post {
    std::chrono::steady_clock::time_point start;
    std::string user;
    std::string media_id;
  };

  /// The post's URL on the host, as its create answered ("" unknown).
  static std::string post_url(delivery_state& st, const std::string& user,
                              const std::string& media_id) {
    if (media_id.empty()) {
      return {};
    }
    auto d = imports::get(st.ctx->db->read(), user, media_id);
    return d ? d->location : std::string{};
  }

  void post(delivery_self self, outbox_entry e, std::string media_id, std::string url) {
    auto& st = self->state;
    started_.emplace(e.seq, started_post{std::chrono::steady_clock::now(), e.user,
                                         std::move(media_id)});
    spawn_micropub_post(self, st.ctx, st.media, caf::actor_cast<delivery_actor>(self),
                        std::move(e), std::move(url), known_);
  }

  std::size_t limit_;
  micropub_known known_; // the media endpoint, once asked
  std::unordered_map<uint64_t, started_post> started_;
};

} // namespace

std::unique_ptr<sink> make_micropub_sink(const context& ctx) {
  return std::make_unique<micropub_sink>(ctx);
}

} // namespace igbridge
