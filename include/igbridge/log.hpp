#pragma once
/// @brief One line per event: `level event key=value ...` on stderr, with
/// `<N>` syslog priority prefixes when journald reads our stderr. Callers
/// pass only values that are safe to print: tokens and secrets never.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace igbridge {

enum class log_level { debug = 7, info = 6, notice = 5, warning = 4, error = 3 };

/// Parses "debug|info|notice|warning|error"; info on anything else.
log_level parse_log_level(std::string_view s);
void set_log_level(log_level lvl);
/// Prefixes lines with <N> (set when JOURNAL_STREAM is in the environment).
void set_log_syslog_prefix(bool on);
bool log_enabled(log_level lvl);

using log_field = std::pair<std::string_view, std::string>;

void log(log_level lvl, std::string_view event, std::initializer_list<log_field> fields = {});

} // namespace igbridge
