#pragma once

#include "http_types.hpp"

#include <string>

namespace fakegram {

/// `X-App-Usage`: percentages of the app's hourly budget, e.g.
/// `{"call_count":100,"total_cputime":20,"total_time":25}`.
std::string app_usage(int percent);

/// `X-Business-Use-Case-Usage` for one Instagram account:
/// `{"<ig id>":[{"type":"instagram","call_count",…,"estimated_time_to_regain_access":M}]}`.
/// M is in minutes, as Meta documents it: an integer when whole, else the
/// fraction (fakegram's short holds; Meta itself sends whole minutes).
std::string buc_usage(const std::string& account_id, int percent, double regain_minutes);

/// Adds the low usage headers every normal graph answer carries (BUC only for
/// calls made with an account's token), keeping any the reply already has.
void add_usage_headers(reply& r, const std::string& account_id);

} // namespace fakegram
