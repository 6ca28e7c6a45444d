// igbridge: one binary, a subcommand per job (DESIGN §3).

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"igbridge: imports users' tagged Instagram posts into a web application"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "igbridge " IGBRIDGE_VERSION);  // for help2man
  std::string config = "/etc/igbridge/igbridge.toml";
  auto add_config = [&](CLI::App* cmd) {
    cmd->add_option("-c,--config", config, "configuration file (TOML)")->capture_default_str();
  };

  auto serve = app.add_subcommand("serve", "run the daemon in the foreground");
  add_config(serve);

  auto check = app.add_subcommand("check-config", "validate the configuration and exit");
  add_config(check);

  auto doctor = app.add_subcommand(
    "doctor", "check a deployment: secrets, the Meta app, the subscription, the public URL, "
              "directories and the sink; exit 1 on any failure");
  add_config(doctor);

  auto link = app.add_subcommand("link-url", "print a signed connect link for an app user");
  add_config(link);
  std::string link_user;
  long ttl = -1;
  link->add_option("--user", link_user, "app user id")->required();
  link->add_option("--ttl", ttl, "seconds the link stays valid (default: link.ttl_s)");

  auto users = app.add_subcommand("users", "inspect and manage linked users (admin API)");
  add_config(users);
  std::string users_action, users_id, users_state;
  bool json = false;
  std::optional<std::string> rule_tags, rule_block;
  std::string backfill_since;
  users->add_option("action", users_action, "list | show | fetch | backfill | disconnect | rules")
    ->required()
    ->check(CLI::IsMember({"list", "show", "fetch", "backfill", "disconnect", "rules"}));
  users->add_option("--since", backfill_since,
                    "backfill: leave posts taken before this date alone (YYYY-MM-DD)");
  users->add_option("id", users_id, "app user id (show, fetch, backfill, disconnect, rules)");
  users->add_option("--tags", rule_tags,
                    "rules: the user's own tags, comma-separated (e.g. soup,ed)");
  users->add_option("--block", rule_block,
                    "rules: tags that keep a post out, comma-separated (may be empty)");
  users->add_option("--state", users_state, "list: only users in this state");
  users->add_flag("--json", json, "print the raw JSON answer");

  auto outbox = app.add_subcommand(
    "outbox", "dead letters: replay one, or drop it so the user's later events go (admin API)");
  add_config(outbox);
  std::string outbox_action, outbox_id;
  outbox->add_option("action", outbox_action, "list | replay | drop")
    ->required()
    ->check(CLI::IsMember({"list", "replay", "drop"}));
  outbox->add_option("id", outbox_id, "dead letter id (replay, drop)");
  outbox->add_flag("--json", json, "print the raw JSON answer");

  auto subs = app.add_subcommand("subscriptions", "manage the provider's webhook subscriptions");
  add_config(subs);
  std::string subs_action, subs_id;
  subs->add_option("action", subs_action, "create | list | delete")
    ->required()
    ->check(CLI::IsMember({"create", "list", "delete"}));
  subs->add_option("id", subs_id, "legacy: subscription id to delete (default: all)");

  auto sink = app.add_subcommand(
    "sink", "send one test event through the configured sink and print the answer");
  add_config(sink);
  std::string sink_action;
  sink->add_option("action", sink_action, "test")->required()->check(CLI::IsMember({"test"}));

  auto cluster = app.add_subcommand("cluster", "cluster mode's one-off operations");
  cluster->require_subcommand(1);
  auto cluster_import = cluster->add_subcommand(
    "import", "load a single node's store into a new cluster, so nobody relinks");
  add_config(cluster_import);
  std::string import_from;
  cluster_import->add_option("--from", import_from, "the single node's storage.path")->required();

  CLI11_PARSE(app, argc, argv);

  if (*serve) {
    return igbridge::run_serve(config);
  }
  if (*check) {
    return igbridge::run_check_config(config);
  }
  if (*doctor) {
    return igbridge::run_doctor(config);
  }
  if (*link) {
    return igbridge::run_link_url(config, link_user, ttl);
  }
  if (*users) {
    if (users_action == "rules") {
      return igbridge::run_user_rules(config, users_id, rule_tags, rule_block, json);
    }
    return igbridge::run_users(config, users_action, users_id, users_state, json,
                               backfill_since);
  }
  if (*outbox) {
    return igbridge::run_outbox(config, outbox_action, outbox_id, json);
  }
  if (*sink) {
    return igbridge::run_sink_test(config);
  }
  if (*cluster_import) {
    return igbridge::run_cluster_import(config, import_from);
  }
  if (*subs) {
    return igbridge::run_subscriptions(config, subs_action, subs_id);
  }
  return 2;
}
