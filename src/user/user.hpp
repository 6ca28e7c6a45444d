#pragma once
// The user actor: the only writer of one app user's records. It owns the
// token, the seen set, the schedule entry and the fetch loop of that user.
// It is virtual: the registry activates it when a message for the user
// arrives and it passivates after actors.idle_s without work, all of its
// state being in LMDB. Split by job: user.cpp (behaviour: link, unlink,
// erase, rules, wake, passivation), user_writes.cpp (its transactions),
// user_fetch.cpp (the fetch loop), user_token.cpp (token refresh),
// user_media.cpp (fresh media URLs for the media fetcher).

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/stateful_actor.hpp>

#include "core/http_waiter.hpp"
#include "igbridge/context.hpp"
#include "igbridge/messages.hpp"
#include "igbridge/records.hpp"

namespace igbridge {

/// One transaction of this user, applied to the committed record.
struct user_write {
  /// Changes `rec` (stored afterwards unless it returns false: erased).
  std::function<bool(user_record& rec, write_txn& txn, write_notes& notes)> apply;
  /// After the commit (ok) or its failure (ok false, error set).
  std::function<void(bool ok, const std::string& error)> done;
  const char* what = "user";
  /// One of a fetch's transactions (its pages, its end): the next fetch
  /// reads the cursors they store, so it waits for them.
  bool of_fetch = false;
};

struct user_actor_state {
  context_ptr ctx;
  writer_actor writer;
  registry_actor registry;
  user_record rec;        // as committed
  bool stored = false;    // rec exists in LMDB
  http_waiter http;
  uint64_t handled = 0;   // messages from the registry handled (passivation handshake)

  // -- the fetch in progress -----------------------------------------------
  bool fetching = false;
  bool fetch_again = false; // a fetch-now arrived while one ran
  bool initial = false;     // this fetch is the first after linking
  int64_t fetch_started_at = 0;
  std::chrono::steady_clock::time_point fetch_started_clock{};
  int processed = 0;        // items looked at in this fetch
  int pages = 0;
  int imported_now = 0;
  /// taken_at of the oldest young post still rechecked (provisional
  /// verdict, or imported: edits and deletions); paging reaches it. 0 = none
  int64_t oldest_provisional = 0;
  /// The young imports when the fetch started, and what its pages listed:
  /// at its end, an import the listing passed without showing may be gone.
  std::vector<std::pair<std::string, int64_t>> young_imports;
  std::unordered_set<std::string> listed;
  int64_t oldest_listed = 0;   // taken_at of the oldest post listed; 0 = none yet
  bool listed_to_end = false;  // the last page had no next one
  uint64_t fetch_gen = 0;         // bumps per fetch: answers of an earlier one are ignored
  // Pages are fetched while earlier ones commit (user_fetch.cpp "pipeline").
  int uncommitted = 0;                  // pages planned, their write not yet committed
  std::vector<std::string> resume;      // this fetch's view of the stored resume cursors
  std::string held_url, held_chain;     // the next page, waiting for commits to catch up
  /// A page answered with a transient error, asked again after a short wait.
  struct page_retry {
    http_request request;
    std::string chain;
    int attempt = 0;
  };
  /// Rare, so on the heap: every live user actor would otherwise carry
  /// a whole request inline (issue 21's due wave: +10 % peak RSS).
  std::unique_ptr<page_retry> retry;

  // -- backfill (user_backfill.cpp) ------------------------------------------
  bool backfilling = false;
  uint64_t backfill_gen = 0;                 // a new walk, or an unlink, ends the old one
  std::unique_ptr<http_request> backfill_paused; // the page a rate limit refused (rare: heap)

  // -- other work ------------------------------------------------------------
  bool refreshing = false;
  bool fetch_owed = false;       // a fetch failed and its retry could not be stored
  std::deque<user_write> writes; // the ones in flight first, then the waiting ones
  std::size_t writes_in_flight = 0; // the first ones of `writes`, sent as one transaction
  int storage_failures = 0;      // consecutive failed writes: in-memory retry backoff
  uint64_t retry_gen = 0;        // a wake re-armed in memory after a failed write
  bool retry_armed = false;

  // -- generations: answers and timers of an older one are ignored -----------
  uint64_t link_gen = 0; // bumps on link/unlink/erase
  uint64_t idle_gen = 0;
  bool passivating = false;

  static inline const char* name = "igbridge.user";
};

using user_self = user_actor::stateful_pointer<user_actor_state>;

user_actor::behavior_type user_behavior(user_self self, context_ptr ctx, writer_actor writer,
                                        registry_actor registry, std::string user);

// -- shared by the user_*.cpp files ---------------------------------------------

/// Queues a transaction; they run one at a time, each on the record the
/// previous one committed.
void submit(user_self self, user_write w);
/// Starts a fetch now, or marks one to follow the fetch in progress.
void start_fetch(user_self self);
/// The quick retry of a page (again_atom) of fetch `fetch_gen`.
void retry_page(user_self self, uint64_t fetch_gen);
/// Token invalid or a permission gone: reauth_required, polling stops,
/// link.revoked delivered.
void require_reauth(user_self self, const std::string& why, const char* reason);
/// Token in the clear (unsealed when storage.key is set); empty when unusable.
std::string plain_token(const user_actor_state& st);
/// Token as stored (sealed when storage.key is set).
std::string stored_token(const user_actor_state& st, const std::string& plain);
user_actor self_handle(user_self self);
/// Exchanges the token for a fresh long-lived one (graph).
void refresh_token(user_self self);
struct tag_rules; // user/fetch_plan.hpp
/// The rules this user's posts are judged by: their own, or the config's.
tag_rules rules_of(const user_actor_state& st);
/// Walks the account's history back to `since` (0: none) or
/// import.backfill_max posts; answers false for a user not active.
void start_backfill(user_self self, int64_t since, std::function<void(bool)> started);
/// The walk paused by a rate limit goes on (its generation `gen`).
void resume_backfill(user_self self, uint64_t gen);
/// After a fetch: imports its listing passed without showing are asked for
/// one by one; those Instagram no longer has become media.deleted.
void check_missing(user_self self);
/// Reads post `media_id` again for fresh CDN URLs and answers them (graph).
void reread_media(user_self self, const std::string& media_id,
                  caf::typed_response_promise<media_reread> rp);
/// Arms the idle timer when nothing is in progress.
void maybe_idle(user_self self);
/// After a failed write: wake again later from memory (the store could not
/// record the plan), with a short backoff that grows while it keeps failing.
void retry_later(user_self self);
/// Random number in [0, 1) for jitter.
double unit_random();

} // namespace igbridge
