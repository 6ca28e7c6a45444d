#pragma once
// The media fetcher: downloads the media of the imports that wait for them,
// many files at once (media_fetch.cpp says how).

#include <caf/fwd.hpp>

#include "igbridge/context.hpp"
#include "igbridge/messages.hpp"

namespace igbridge {

/// Spawned by (and linked to) the delivery actor `parent`; it answers each
/// (media_atom, media_job) with (media_atom, seq, media_result) to
/// `delivery`. `registry` empty: expired URLs are not read again.
media_fetcher_actor spawn_media_fetcher(caf::local_actor* parent, context_ptr ctx,
                                        media_store_actor store, registry_actor registry,
                                        delivery_actor delivery);

} // namespace igbridge
