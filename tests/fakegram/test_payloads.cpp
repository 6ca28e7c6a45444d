/// The App Dashboard's "Test" notifications: a `changes` entry with id "0"
/// (no real account) whose value is Meta's fixed sample for the field. The
/// messaging fields' samples share a sender/recipient/timestamp head, as the
/// dashboard sends them (timestamp a string there, unlike live messages).

#include "test_payloads.hpp"

#include "scopes.hpp"

namespace fakegram {

namespace {

using ojson = nlohmann::ordered_json;

ojson comment_sample(const char* product_type, bool reply) {
  ojson v = {{"from", {{"id", "232323232"}, {"username", "test"}, {"self_ig_scoped_id", "232323232"}}},
             {"media", {{"id", "123123123"}, {"media_product_type", product_type}}},
             {"id", "17865799348089039"}};
  if (reply) {
    v["parent_id"] = "1231231234";
  }
  v["text"] = "This is an example.";
  return v;
}

/// A messaging sample: the common head plus the field's own event key.
ojson messaging_sample(const char* key, ojson event) {
  ojson v = {{"sender", {{"id", "12334"}}}, {"recipient", {{"id", "23245"}}},
             {"timestamp", "1527459824"}};
  v[key] = std::move(event);
  return v;
}

ojson message_sample(bool echo) {
  ojson m = {{"mid", "random_mid"}, {"text", "random_text"}};
  if (echo) {
    m["is_echo"] = true;
  }
  return messaging_sample("message", m);
}

} // namespace

std::optional<ojson> test_payload_value(const std::string& field) {
  if (!known_webhook_field(field)) {
    return std::nullopt;
  }
  if (field == "comments") {
    return comment_sample("FEED", true);
  }
  if (field == "live_comments") {
    return comment_sample("LIVE", false);
  }
  if (field == "mentions") {
    return ojson{{"media_id", "17887498072083520"}, {"comment_id", "17887498072083520"}};
  }
  if (field == "story_insights") {
    return ojson{{"media_id", "17887498072083520"}, {"impressions", 444}, {"reach", 44},
                 {"taps_forward", 4}, {"taps_back", 3}, {"exits", 3}, {"replies", 0}};
  }
  if (field == "messages" || field == "standby") {
    return message_sample(false);
  }
  if (field == "message_echoes") {
    return message_sample(true);
  }
  if (field == "message_reactions") {
    return messaging_sample("reaction", {{"mid", "random_mid"}, {"action", "react"},
                                         {"reaction", "love"}, {"emoji", "\u2764\ufe0f"}});
  }
  if (field == "messaging_handover") {
    return messaging_sample("pass_thread_control", {{"previous_owner_app_id", "123456789"},
                                                    {"new_owner_app_id", "987654321"},
                                                    {"metadata", "random_metadata"}});
  }
  if (field == "messaging_optins") {
    return messaging_sample("optin", {{"ref", "random_ref"}});
  }
  if (field == "messaging_policy_enforcement") {
    return messaging_sample("policy_enforcement", {{"action", "block"}, {"reason", "random_reason"}});
  }
  if (field == "messaging_postbacks") {
    return messaging_sample("postback", {{"mid", "random_mid"}, {"title", "random_title"},
                                         {"payload", "random_payload"}});
  }
  if (field == "messaging_referral") {
    return messaging_sample("referral", {{"ref", "random_ref"}, {"source", "random_source"},
                                         {"type", "OPEN_THREAD"}});
  }
  if (field == "messaging_seen") {
    return messaging_sample("read", {{"mid", "random_mid"}});
  }
  if (field == "response_feedback") {
    return messaging_sample("response_feedback", {{"mid", "random_mid"}, {"feedback", "Good response"}});
  }
  return std::nullopt; // a field added to scopes.cpp without a sample here
}

} // namespace fakegram
