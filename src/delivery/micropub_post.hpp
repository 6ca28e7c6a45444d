#pragma once
// One Micropub entry, posted as Micropub clients do (DESIGN §8): discover
// the media endpoint, upload the stored files there and reference the URLs
// it returns; without one, send the files as multipart photo[]/video[].

#include <cstdint>
#include <string>

#include <caf/fwd.hpp>

#include "igbridge/context.hpp"
#include "igbridge/messages.hpp"

namespace igbridge {

struct micropub_known {
  bool discovered = false;    // the endpoint below was asked already
  std::string media_endpoint; // "" = none
};

/// Posts `e` to sink.url; sends (micropub_atom, seq, micropub_outcome) to
/// `reply_to` when the create request was answered or a step failed.
void spawn_micropub_post(caf::local_actor* parent, context_ptr ctx, media_store_actor store,
                         delivery_actor reply_to, outbox_entry e, micropub_known known);

} // namespace igbridge
