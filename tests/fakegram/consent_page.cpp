/// The authorize dialog a person clicks through (pick an account, Allow or
/// Deny), with stable element ids for browser tests.

#include "consent_page.hpp"

#include "codec.hpp"

namespace fakegram {

namespace {

constexpr const char* page_style =
  "body{font-family:sans-serif;max-width:32em;margin:2em auto;padding:0 1em;color:#222}"
  "h1{font-size:1.4em}.box{border:1px solid #ccc;border-radius:8px;padding:1em}"
  "label{display:block;margin:.4em 0}button{font-size:1em;padding:.4em 1.2em;margin-right:.5em}"
  ".err{color:#b00}.fake{color:#888;font-size:.8em}";

std::string hidden(const char* name, const std::string& value) {
  return std::string("<input type=\"hidden\" name=\"") + name + "\" value=\"" + html_escape(value)
         + "\">\n";
}

} // namespace

std::string render_consent(const authorize_params& p, const std::vector<account>& accounts,
                           const std::string& app_name, const std::string& error) {
  std::string html = "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
                     "<title>fakegram: authorize</title><style>";
  html += page_style;
  html += "</style></head><body>\n<h1>fakegram</h1>\n<div class=\"box\">\n";
  html += "<p><b>" + html_escape(app_name) + "</b> would like to access your basic profile and "
          "media (<code>" + html_escape(p.scope) + "</code>).</p>\n";
  if (!error.empty()) {
    html += "<p class=\"err\" id=\"error\">" + html_escape(error) + "</p>\n";
  }
  html += "<form id=\"consent\" method=\"post\" action=\"/oauth/authorize/decide\">\n";
  html += hidden("client_id", p.client_id);
  html += hidden("redirect_uri", p.redirect_uri);
  html += hidden("response_type", p.response_type);
  html += hidden("scope", p.scope);
  html += hidden("state", p.state);
  html += "<fieldset><legend>Log in as</legend>\n";
  bool first = true;
  for (const auto& a : accounts) {
    html += "<label><input type=\"radio\" name=\"account\" id=\"account-" + html_escape(a.username)
            + "\" value=\"" + html_escape(a.id) + "\"" + (first ? " checked" : "") + "> "
            + html_escape(a.username) + " <span class=\"fake\">(" + html_escape(a.id)
            + ")</span></label>\n";
    first = false;
  }
  html += "<label>new account: <input type=\"text\" name=\"new_username\" id=\"new_username\" "
          "placeholder=\"username\" autocomplete=\"off\"></label>\n";
  html += "</fieldset>\n<p>\n"
          "<button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button>\n"
          "<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button>\n"
          "</p>\n</form>\n</div>\n"
          "<p class=\"fake\">This is a fake Instagram for tests and demos. A typed new username "
          "wins over the selected account.</p>\n</body></html>\n";
  return html;
}

std::string render_error_page(const std::string& title, const std::string& message) {
  std::string html = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>fakegram: ";
  html += html_escape(title);
  html += "</title><style>";
  html += page_style;
  html += "</style></head><body>\n<h1>" + html_escape(title) + "</h1>\n<p class=\"err\" id=\"error\">"
          + html_escape(message) + "</p>\n</body></html>\n";
  return html;
}

} // namespace fakegram
