/// The page `make run` shows at /: accounts, a form to post a fake photo,
/// video or carousel, a mention button, recent posts and the deliveries made
/// to igbridge. It says plainly when a webhook is a demo convenience.

#include "demo_page.hpp"

#include "codec.hpp"
#include "consent_page.hpp"
#include "crypto.hpp"
#include "notify.hpp"
#include "publish.hpp"
#include "timefmt.hpp"
#include "updates.hpp"

#include <algorithm>

namespace fakegram {

namespace {

constexpr std::size_t recent_posts = 12;

constexpr const char* style =
  "body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em;color:#222}"
  "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3em .8em;text-align:left}"
  "form{margin:.8em 0}input,select,textarea,button{font-size:1em}textarea{width:100%}"
  ".posts{display:flex;flex-wrap:wrap;gap:.8em}.posts figure{margin:0;width:10em}"
  ".posts img{width:10em;height:10em}.posts figcaption{font-size:.8em}.muted{color:#888}"
  ".note{background:#fff8e1;border-left:4px solid #f4a261;padding:.4em .8em}";

std::string section_accounts(app& a, const std::vector<account>& accounts) {
  std::string html = "<h2>Accounts</h2>\n";
  if (accounts.empty()) {
    html += "<p class=\"muted\" id=\"no-accounts\">No accounts yet.</p>\n";
  } else {
    html += "<table id=\"accounts\"><tr><th>username</th><th>id</th><th>app-scoped id</th>"
            "<th>posts</th><th>valid tokens</th></tr>\n";
    for (const auto& who : accounts) {
      html += "<tr><td>" + html_escape(who.username) + "</td><td>" + html_escape(who.id) + "</td><td>"
              + html_escape(who.app_scoped_id) + "</td><td>" + std::to_string(a.st.media_count(who.id))
              + "</td><td>" + std::to_string(a.st.valid_tokens(who.id).size()) + "</td></tr>\n";
    }
    html += "</table>\n";
  }
  html += "<form method=\"post\" action=\"/_fake/demo/accounts\">"
          "<input type=\"text\" name=\"username\" id=\"username\" placeholder=\"new username\" required> "
          "<button type=\"submit\" id=\"create\">Create account</button></form>\n";
  return html;
}

std::string account_options(const std::vector<account>& accounts) {
  std::string html;
  for (const auto& who : accounts) {
    html += "<option value=\"" + html_escape(who.id) + "\">" + html_escape(who.username) + "</option>";
  }
  return html;
}

/// Says how igbridge will hear about a post, which differs by dialect and flags.
std::string post_note(const app& a) {
  if (!a.graph()) {
    return "Each post sends a signed realtime update (legacy dialect).";
  }
  if (a.opts.media_webhooks) {
    return "fakegram runs with --media-webhooks: each post also sends a signed update. That is a "
           "demo convenience; the real Instagram API has no webhook for new media, so igbridge "
           "normally finds posts by polling.";
  }
  return "Like the real Instagram API, a post sends no webhook: igbridge finds it on its next "
         "poll. \"Send mention\" below sends a real mentions webhook, which igbridge takes as a "
         "hint to fetch now.";
}

std::string section_post(const app& a, const std::vector<account>& accounts) {
  if (accounts.empty()) {
    return {};
  }
  std::string html = "<h2>Post a fake photo</h2>\n<p class=\"note\" id=\"post-note\">"
                     + html_escape(post_note(a)) + "</p>\n"
                     "<form method=\"post\" action=\"/_fake/demo/post\">\n"
                     "<p><label>as <select name=\"account\" id=\"account\">";
  html += account_options(accounts);
  html += "</select></label> <label>type <select name=\"media_type\" id=\"media_type\">"
          "<option value=\"IMAGE\">photo</option><option value=\"VIDEO\">video</option>"
          "<option value=\"CAROUSEL_ALBUM\">carousel (3 photos)</option></select></label></p>\n"
          "<p><textarea name=\"caption\" id=\"caption\" rows=\"3\" "
          "placeholder=\"Lentil soup for lunch #eatdifferent\"></textarea></p>\n"
          "<p><button type=\"submit\" id=\"post\">Post</button></p>\n</form>\n";
  if (a.graph() && !a.opts.webhook_url.empty()) {
    html += "<form method=\"post\" action=\"/_fake/demo/mention\"><label>mention "
            "<select name=\"account\" id=\"mention-account\">" + account_options(accounts)
            + "</select></label> <button type=\"submit\" id=\"mention\">Send mention</button></form>\n";
  }
  return html;
}

std::string section_recent(app& a, const std::vector<account>& accounts) {
  std::vector<std::pair<media, std::string>> all;
  for (const auto& who : accounts) {
    for (auto& m : a.st.media_of(who.id)) {
      all.emplace_back(std::move(m), who.username);
    }
  }
  if (all.empty()) {
    return {};
  }
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first.seq > y.first.seq; });
  if (all.size() > recent_posts) {
    all.resize(recent_posts);
  }
  auto now_ms = unix_now_ms();
  std::string html = "<h2>Recent posts</h2>\n<div class=\"posts\" id=\"posts\">\n";
  for (const auto& [m, username] : all) {
    auto caption = m.caption_shown(now_ms) ? m.caption.value_or("") : std::string("(caption later)");
    html += "<figure><a href=\"/p/" + html_escape(m.id) + "\"><img src=\"/_fake/media/" + html_escape(m.id)
            + ".svg\" alt=\"\"></a><figcaption><b>@" + html_escape(username) + "</b> "
            + html_escape(caption) + "<br><span class=\"muted\">" + html_escape(m.id) + " · "
            + html_escape(m.media_type) + "</span></figcaption></figure>\n";
  }
  html += "</div>\n";
  return html;
}

std::string section_updates(app& a) {
  if (a.opts.webhook_url.empty()) {
    return "<p class=\"muted\">No --webhook-url: posts are only found by polling.</p>\n";
  }
  std::string html = "<h2>Deliveries to igbridge</h2>\n<p class=\"muted\">Updates go to "
                     + html_escape(a.opts.webhook_url) + "</p>\n";
  auto sent = a.st.notifications();
  if (sent.empty()) {
    return html + "<p class=\"muted\">None yet.</p>\n";
  }
  html += "<ul id=\"updates\">\n";
  for (auto it = sent.rbegin(); it != sent.rend(); ++it) {
    html += "<li>" + html_escape(graph_timestamp(it->time)) + " " + html_escape(it->what) + " → "
            + (it->status ? "HTTP " + std::to_string(it->status) : html_escape(it->error)) + "</li>\n";
  }
  return html + "</ul>\n";
}

} // namespace

reply handle_demo_index(app& a, const request&) {
  auto accounts = a.st.accounts();
  std::string html = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>fakegram</title><style>";
  html += style;
  html += "</style></head><body>\n<h1>fakegram</h1>\n<p class=\"muted\">A fake Instagram (";
  html += a.graph() ? "graph" : "legacy";
  html += " dialect, client id " + html_escape(a.opts.client_id) + ") for tests and demos.</p>\n";
  html += section_accounts(a, accounts);
  html += section_post(a, accounts);
  html += section_recent(a, accounts);
  html += section_updates(a);
  html += "</body></html>\n";
  return html_reply(200, std::move(html));
}

reply handle_demo_create_account(app& a, const request& req) {
  auto username = req.param("username");
  if (!valid_username(username)) {
    return html_reply(400, render_error_page("Bad username",
                                             "A username is 1-30 letters, digits, '.' or '_'."));
  }
  a.st.create_account(username);
  return redirect_reply("/");
}

reply handle_demo_post(app& a, const request& req) {
  post_request p;
  p.caption = req.param("caption");
  if (req.has_param("media_type")) {
    p.media_type = req.param("media_type");
  }
  if (p.media_type == "CAROUSEL_ALBUM") {
    p.children = std::vector<std::string>(3, "IMAGE");
  }
  std::string why;
  if (!publish_media(a, req.param("account"), p, why)) {
    return html_reply(why.empty() ? 404 : 400,
                      render_error_page("Cannot post", why.empty() ? "Unknown account." : why));
  }
  return redirect_reply("/");
}

reply handle_demo_mention(app& a, const request& req) {
  auto who = a.st.find_account(req.param("account"));
  if (!who) {
    return html_reply(404, render_error_page("Cannot mention", "Unknown account."));
  }
  if (!a.graph() || a.opts.webhook_url.empty()) {
    return html_reply(400, render_error_page("Cannot mention",
                                             "Mentions need the graph dialect and --webhook-url."));
  }
  // Sent from the notifier's thread: the page comes back at once.
  auto value = nlohmann::ordered_json{{"media_id", "179" + std::to_string(std::stoull(random_hex(6), nullptr, 16))},
                                      {"comment_id", "178" + std::to_string(std::stoull(random_hex(6), nullptr, 16))}};
  a.notes.send(build_graph_change(a.opts.signing_secret(), who->id, unix_now(), "mentions", value),
               "mention", who->id);
  return redirect_reply("/");
}

} // namespace fakegram
