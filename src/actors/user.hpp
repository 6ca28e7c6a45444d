#pragma once
// The user actor: the only writer of one app user's records. It owns the
// token, the seen set, the schedule and the fetch loop of that user.

#include <chrono>
#include <string>

#include <caf/fwd.hpp>
#include <caf/stateful_actor.hpp>

#include "http_waiter.hpp"
#include "igbridge/context.hpp"
#include "igbridge/records.hpp"

namespace igbridge {

struct user_state {
  context_ptr ctx;
  caf::actor delivery;
  user_record rec;
  http_waiter http;

  // -- the fetch in progress -----------------------------------------------
  bool fetching = false;
  bool fetch_again = false; // a fetch was asked for while one ran
  bool initial = false;     // this fetch is the first after linking
  int64_t fetch_started_at = 0;
  std::chrono::steady_clock::time_point fetch_started_clock{};
  int processed = 0;        // items looked at in this fetch
  int pages = 0;
  int imported_now = 0;

  // -- timers: a generation per timer, stale messages are ignored -----------
  uint64_t fetch_gen = 0;
  int64_t armed_due = 0;    // when the armed fetch timer fires (0: none)
  uint64_t refresh_gen = 0;
  uint64_t link_gen = 0;    // bumps on link/unlink; answers of an older link are dropped

  static inline const char* name = "igbridge.user";
};

caf::behavior user_actor(caf::stateful_actor<user_state>* self, context_ptr ctx,
                         caf::actor delivery, std::string user);

} // namespace igbridge

namespace igbridge {

using user_self = caf::stateful_actor<user_state>*;

// -- shared by user.cpp, user_fetch.cpp and user_token.cpp --------------------

/// Arms the fetch timer for unix time `due` (0 disarms).
void arm_fetch(user_self self, int64_t due);
/// Arms the token refresh timer (graph tokens only).
void arm_refresh(user_self self);
/// Starts a fetch now, or marks one to follow the fetch in progress.
void start_fetch(user_self self);
/// Token invalid: reauth_required, polling stops, link.revoked delivered.
void require_reauth(user_self self, const std::string& why);
/// Writes the user record alone.
void save_user(user_self self);
/// Token in the clear (unsealed when storage.key is set); empty when unusable.
std::string plain_token(const user_state& st);
/// Token as stored (sealed when storage.key is set).
std::string stored_token(const user_state& st, const std::string& plain);
caf::actor self_handle(user_self self);
/// Drops the cursors of unfinished page runs (data deletion).
void forget_fetch_resume(write_txn& txn, const std::string& user);
/// Exchanges the token for a fresh long-lived one (graph).
void refresh_token(user_self self);

} // namespace igbridge
