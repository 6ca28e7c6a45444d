#pragma once

#include "state.hpp"

#include <string>
#include <vector>

namespace fakegram {

/// The parameters of an authorize request, carried through the consent form.
struct authorize_params {
  std::string client_id;
  std::string redirect_uri;
  std::string response_type;
  std::string scope;
  std::string state;
};

/// The consent page: pick an account (or name a new one), then Allow or Deny.
/// Stable ids for browser tests: radio `account-<username>`, `new_username`,
/// `allow`, `deny`.
std::string render_consent(const authorize_params& p, const std::vector<account>& accounts,
                           const std::string& app_name, const std::string& error);

/// A plain error page (bad client_id, bad redirect_uri, …).
std::string render_error_page(const std::string& title, const std::string& message);

} // namespace fakegram
