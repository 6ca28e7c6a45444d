#pragma once
// The igbridge subcommands; main.cpp parses the command line and calls one.

#include <optional>
#include <string>

namespace igbridge {

int run_serve(const std::string& config_path);
int run_check_config(const std::string& config_path);
/// Checks a deployment against the provider and itself (DESIGN §9).
int run_doctor(const std::string& config_path);
int run_link_url(const std::string& config_path, const std::string& user, long ttl_s);

/// Admin API calls to a running daemon; `json` prints the raw answer.
/// `users rules ID`: shows the user's import rules, or sets them when
/// --tags or --block is given (the one not given stays as it is).
int run_user_rules(const std::string& config_path, const std::string& id,
                   const std::optional<std::string>& tags, const std::optional<std::string>& block,
                   bool json);
/// `since`: backfill's --since date ("" = none).
int run_users(const std::string& config_path, const std::string& action, const std::string& id,
              const std::string& state, bool json, const std::string& since = {});
int run_outbox(const std::string& config_path, const std::string& action, const std::string& id,
               bool json);
/// `igbridge sink test`: one test event through the configured sink,
/// the answer printed; 0 when the sink took it.
int run_sink_test(const std::string& config_path);
int run_subscriptions(const std::string& config_path, const std::string& action,
                      const std::string& id);
/// `igbridge cluster import --from STATE_DIR`: a single node's users into
/// the cluster's changelogs (run before the nodes start).
int run_cluster_import(const std::string& config_path, const std::string& from);

} // namespace igbridge
