#pragma once
/// @brief The vocabulary between igbridge's actors: atoms, message structs
/// and the typed interface of each actor. Everything here stays inside one
/// process, so types that carry callbacks or shared pointers are allowed as
/// local-only messages.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "igbridge/http_server.hpp"
#include "igbridge/http_types.hpp"
#include "igbridge/media.hpp"
#include "igbridge/provider.hpp"
#include "igbridge/records.hpp"
#include "igbridge/write_notes.hpp"

namespace igbridge {

class write_txn;

// -- atoms (10 characters at most) -----------------------------------------

using http_atom = caf::atom_constant<caf::atom("http")>;          // front: an inbound request
using http_done_atom = caf::atom_constant<caf::atom("http_done")>; // an outbound answer
using wake_atom = caf::atom_constant<caf::atom("wake")>;          // scheduler: a user is due
using fetch_now_atom = caf::atom_constant<caf::atom("fetch_now")>; // admin: fetch at once
using link_atom = caf::atom_constant<caf::atom("link")>;          // store a fresh grant
using unlink_atom = caf::atom_constant<caf::atom("unlink")>;      // forget the token
using erase_atom = caf::atom_constant<caf::atom("erase")>;        // data deletion
using rules_atom = caf::atom_constant<caf::atom("rules")>;        // per-user import rules
using backfill_atom = caf::atom_constant<caf::atom("backfill")>;  // walk the account's history
using idle_atom = caf::atom_constant<caf::atom("idle")>;          // user: may I passivate?
using kick_atom = caf::atom_constant<caf::atom("kick")>;          // delivery: outbox grew
using tick_atom = caf::atom_constant<caf::atom("tick")>;          // a timer
using again_atom = caf::atom_constant<caf::atom("again")>;        // user: retry a page
using replay_atom = caf::atom_constant<caf::atom("replay")>;      // delivery: dead → outbox
using drop_atom = caf::atom_constant<caf::atom("drop")>;          // delivery: a dead letter goes
using write_atom = caf::atom_constant<caf::atom("write")>;        // writer: run a transaction
using flush_atom = caf::atom_constant<caf::atom("flush")>;        // writer: commit the batch
using peers_atom = caf::atom_constant<caf::atom("peers")>;        // writer: who to tell
using notes_atom = caf::atom_constant<caf::atom("notes")>;        // scheduler: index moved
using ok_atom = caf::atom_constant<caf::atom("ok")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;          // watchdog heartbeat
using drain_atom = caf::atom_constant<caf::atom("drain")>;        // shutdown: stop new work
using append_atom = caf::atom_constant<caf::atom("append")>;      // file sink: write lines
using commit_atom = caf::atom_constant<caf::atom("mcommit")>;    // media store: keep a download
using discard_atom = caf::atom_constant<caf::atom("mdiscard")>;  // media store: drop a download
using load_atom = caf::atom_constant<caf::atom("mload")>;         // media store: read a file
using media_atom = caf::atom_constant<caf::atom("media")>;        // an import's media: fetch; fetched
using reread_atom = caf::atom_constant<caf::atom("reread")>;      // user: fresh URLs of a post
using micropub_atom = caf::atom_constant<caf::atom("micropub")>;  // delivery: entry posted
using unlogged_atom = caf::atom_constant<caf::atom("unlogged")>;  // writer: restore or purge a shard
using shard_atom = caf::atom_constant<caf::atom("shard")>;        // registry: a shard leaves

/// Which listener a request came in on.
enum class listener_kind { public_api, admin_api };

/// An inbound request with the handle that answers it.
struct inbound {
  listener_kind listener = listener_kind::public_api;
  http_request request;
  responder_ptr reply;
};

/// Webhook hints: the Instagram user ids one verified payload named.
struct hint_batch {
  std::vector<std::string> instagram_user_ids;
  responder_ptr reply; // answered 200 after the commit
  std::chrono::steady_clock::time_point received{};
};

/// An outbound HTTP answer routed back to the actor that asked.
struct http_reply {
  uint64_t tag = 0;
  http_response response;
};

/// Result of a link flow, handed to the user actor to store.
struct link_grant {
  token_grant grant;
  int64_t issued_at = 0;
};

// -- the writer -----------------------------------------------------------------

/// One transaction: runs on the writer's thread inside a child transaction
/// of the group commit. It may run more than once (the map grew and the
/// batch was redone): it must start from what it captured, not from what
/// an earlier run changed.
struct write_job {
  std::function<void(write_txn&, write_notes&)> apply;
  const char* what = "write"; // for logs
};

/// Whether a write_job committed; `error` is safe to log.
struct write_result {
  bool ok = false;
  std::string error;
};

/// The scheduler's share of write_notes.
struct wake_notes {
  std::vector<std::pair<std::string, int64_t>> wakes;
};

/// A download the HTTP client streamed into a temp file under media.path:
/// its SHA-256 (hex), size and first bytes (for sniffing). The media store
/// syncs it and renames it to its content-addressed name, or removes it.
struct media_download {
  std::string temp_path; // empty when the body was empty
  std::string sha256;
  uint64_t bytes = 0;
  std::string head;
};

/// An import whose media are to be downloaded (delivery → media fetcher):
/// the outbox entry's sequence number, its user and post, and its record.
struct media_job {
  uint64_t seq = 0;
  std::string user;
  std::string media_id;
  std::string record; // JSON: the files to download, and their shape for a re-read
};

/// Fresh URLs of one post from the provider (graph `GET /{media-id}`), or
/// why there are none (`error`, safe to log: token invalid, rate limited,
/// the post is gone, a provider or network failure).
struct media_reread {
  media_item urls;
  std::string error;
};

/// A file the media store kept: its name under media.path ("<sha256>.<ext>"),
/// or `error` (safe to log) when the bytes were refused or not written.
struct media_file {
  std::string name;
  std::string content_type;
  uint64_t bytes = 0;
  std::string error;
};

/// The stored copies of one import's media, in record order, or `error`.
struct media_result {
  std::vector<stored_media> media;
  std::string error;
};

/// How one Micropub entry went: the create, update or delete request's
/// answer (or the failed upload's), and the media endpoint if this post
/// discovered it.
struct micropub_outcome {
  http_response answer;
  bool discovered = false;
  std::string media_endpoint; // "" = the server has none
  std::string location;       // the post's URL a create (or a moving update) answered; "" none
};

/// Lines for the JSONL file, with the outbox entries they carry.
struct jsonl_batch {
  std::string lines;
  std::vector<uint64_t> seqs;
};

// -- typed interfaces ---------------------------------------------------------

/// Answers a liveness ping: the watchdog's heartbeat goes through these.
using pingable_actor = caf::typed_actor<caf::replies_to<ping_atom>::with<ok_atom>>;

/// The watchdog's heartbeat: a round of pings per tick.
using heartbeat_actor = caf::typed_actor<caf::reacts_to<tick_atom>>;

/// Routes one listener's requests: the front actor (public routes that need
/// state) and the admin actor (the admin API). Both answer pings.
using route_actor = caf::typed_actor<
  caf::reacts_to<inbound>,
  caf::replies_to<ping_atom>::with<ok_atom>>;

/// Wakes users whose schedule or hint entry is due.
using scheduler_actor = caf::typed_actor<
  caf::reacts_to<tick_atom, uint64_t>,
  caf::reacts_to<notes_atom, wake_notes>,
  caf::replies_to<ping_atom>::with<ok_atom>>;

/// The answer to fetch_now_atom: started, not linked, or a rate-limit hold's
/// end (unix seconds, > 0) before which nothing is asked of the provider.
constexpr int64_t fetch_now_started = 0;
constexpr int64_t fetch_now_inactive = -1;

/// One app user's actor: the only writer of that user's records.
using user_actor = caf::typed_actor<
  caf::reacts_to<wake_atom>,
  caf::replies_to<fetch_now_atom>::with<int64_t>,
  caf::replies_to<link_atom, link_grant>::with<bool>,
  caf::replies_to<unlink_atom, bool, std::string>::with<bool>, // notify, reason
  caf::replies_to<erase_atom, std::string>::with<bool>, // confirmation code
  caf::replies_to<rules_atom, user_rules>::with<bool>,
  caf::replies_to<backfill_atom, int64_t>::with<bool>, // since (0: none); false: not active
  caf::reacts_to<backfill_atom, uint64_t>,              // resume after a rate limit (its gen)
  caf::replies_to<reread_atom, std::string>::with<media_reread>, // media id
  caf::reacts_to<http_done_atom, http_reply>,
  caf::reacts_to<idle_atom, uint64_t>,  // idle timer
  caf::reacts_to<tick_atom, uint64_t>,  // retry timer after a failed write
  caf::reacts_to<again_atom, uint64_t>>; // a page's quick retry after a transient error

/// Activates user actors on demand and passivates idle ones; every message
/// for a user goes through it, so none is lost to a passivating actor.
using registry_actor = caf::typed_actor<
  caf::reacts_to<wake_atom, std::string>,
  caf::replies_to<fetch_now_atom, std::string>::with<int64_t>,
  caf::replies_to<link_atom, std::string, link_grant>::with<bool>,
  caf::replies_to<unlink_atom, std::string, bool, std::string>::with<bool>,
  caf::replies_to<erase_atom, std::string, std::string>::with<bool>, // user, code
  caf::replies_to<rules_atom, std::string, user_rules>::with<bool>,
  caf::replies_to<backfill_atom, std::string, int64_t>::with<bool>, // user, since
  caf::replies_to<reread_atom, std::string, std::string>::with<media_reread>, // user, media id
  caf::replies_to<idle_atom, std::string, uint64_t>::with<bool>, // user, messages handled
  caf::replies_to<ping_atom>::with<ok_atom>,
  caf::replies_to<shard_atom, uint32_t>::with<uint64_t>, // stop its users; how many
  caf::reacts_to<drain_atom>>;

/// Drains the outbox to the sink.
using delivery_actor = caf::typed_actor<
  caf::reacts_to<kick_atom>,
  caf::reacts_to<tick_atom, uint64_t>,
  caf::replies_to<replay_atom, uint64_t>::with<bool>,
  caf::replies_to<drop_atom, uint64_t>::with<bool>,
  caf::replies_to<drain_atom>::with<bool>,
  // Cluster mode: entries of the shard in flight (an outbox number names
  // its shard: seq mod shards), which a hand-over waits out.
  caf::replies_to<shard_atom, uint32_t>::with<uint64_t>,
  caf::reacts_to<media_atom, uint64_t, media_result>, // a record's media, downloaded
  caf::reacts_to<micropub_atom, uint64_t, micropub_outcome>,
  caf::reacts_to<http_done_atom, http_reply>>;

/// Owns every write transaction: group commits on a thread of its own.
using writer_actor = caf::typed_actor<
  caf::replies_to<write_atom, write_job>::with<write_result>,
  // A transaction of its own, after the batch gathered so far committed,
  // and never published to a changelog: a shard's restore or purge.
  caf::replies_to<unlogged_atom, write_job>::with<write_result>,
  caf::reacts_to<hint_batch>, // webhook ingest, answered through its responder
  caf::reacts_to<flush_atom>,
  caf::reacts_to<peers_atom, scheduler_actor, delivery_actor>>; // told after commits

/// Keeps media files content-addressed under media.path, on a thread of its
/// own (fsyncs block): `commit` checks a finished download, syncs it and
/// renames it into place (downloads that arrive together share the syncs);
/// `discard` removes a download nobody needs; `load` reads a stored file
/// back (empty when it is missing).
using media_store_actor = caf::typed_actor<
  caf::replies_to<commit_atom, media_download>::with<media_file>,
  caf::reacts_to<discard_atom, std::string>, // a download's temp path
  caf::reacts_to<flush_atom>,                // its own: commit the batch
  caf::replies_to<load_atom, std::string>::with<std::string>,
  caf::reacts_to<inbound>>; // cluster: a GET /media/ this node has no copy for

/// Downloads the media of the imports the delivery actor hands it, many
/// files at once, and answers each with (media_atom, seq, media_result).
using media_fetcher_actor = caf::typed_actor<
  caf::reacts_to<media_atom, media_job>,
  caf::reacts_to<http_done_atom, http_reply>>;

/// Appends to the JSONL file and fsyncs, on a thread of its own; answers
/// an empty string on success, else what went wrong.
using file_sink_actor = caf::typed_actor<
  caf::replies_to<append_atom, jsonl_batch>::with<std::string>>;

} // namespace igbridge

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::inbound)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::hint_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::http_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::link_grant)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::responder_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::write_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::write_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::wake_notes)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::jsonl_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::user_rules)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::media_file)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::media_download)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::media_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::media_reread)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::media_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(igbridge::micropub_outcome)
