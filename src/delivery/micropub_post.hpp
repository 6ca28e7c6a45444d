#pragma once
// One Micropub event, posted as Micropub clients do (DESIGN §8, §9): a
// media.imported is a create: discover the media endpoint, upload the
// stored files there and reference the URLs it returns; without one, send
// the files as multipart photo[]/video[]. A media.updated is an update of
// the post's URL (its changed files uploaded the same way, else referenced
// by URL), a media.deleted a delete.

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

/// Posts `e` to sink.url (`post_url`: the post an update or delete names);
/// sends (micropub_atom, seq, micropub_outcome) to `reply_to` when the last
/// request was answered or a step failed.
void spawn_micropub_post(caf::local_actor* parent, context_ptr ctx, media_store_actor store,
                         delivery_actor reply_to, outbox_entry e, std::string post_url,
                         micropub_known known);

} // namespace igbridge
