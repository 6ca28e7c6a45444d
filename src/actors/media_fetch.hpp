#pragma once
// One import's media, downloaded and stored by an actor of its own.

#include <cstdint>
#include <vector>

#include <caf/fwd.hpp>

#include "igbridge/context.hpp"
#include "igbridge/media.hpp"
#include "igbridge/messages.hpp"

namespace igbridge {

/// Downloads `sources` in order, has `store` keep each, then sends
/// (media_atom, seq, media_result) to `reply_to`.
void spawn_media_fetch(caf::local_actor* parent, context_ptr ctx, media_store_actor store,
                       delivery_actor reply_to, uint64_t seq, std::vector<media_source> sources);

} // namespace igbridge
