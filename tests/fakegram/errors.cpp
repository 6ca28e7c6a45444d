/// The error envelopes of both dialects, in the shapes Meta's "Handling
/// Errors" page and the old v1 docs show (tests/samples has one of each).

#include "errors.hpp"

#include "crypto.hpp"

namespace fakegram {

reply graph_error(unsigned status, int code, const std::string& message,
                  std::optional<int> subcode, const std::string& type,
                  std::optional<bool> is_transient) {
  nlohmann::ordered_json err = {{"message", message}, {"type", type}};
  if (is_transient) {
    err["is_transient"] = *is_transient;
  }
  err["code"] = code;
  if (subcode) {
    err["error_subcode"] = *subcode;
  }
  err["fbtrace_id"] = "A" + random_hex(10);
  reply r;
  r.status = status;
  r.content_type = "application/json; charset=UTF-8";
  r.body = nlohmann::ordered_json{{"error", err}}.dump(-1, ' ', false,
                                                      nlohmann::json::error_handler_t::replace);
  return r;
}

std::string graph_message_for(int code) {
  switch (code) {
    case 1:
      return "An unknown error has occurred.";
    case 2:
      return "An unexpected error has occurred. Please retry your request later.";
    case 4:
      return "(#4) Application request limit reached";
    case 10:
      return "(#10) Application does not have permission for this action";
    case 17:
      return "(#17) User request limit reached";
    case 32:
      return "(#32) Page request limit reached";
    case 100:
      return "(#100) Invalid parameter";
    case 190:
      return "Error validating access token: The session has been invalidated because the user "
             "changed their password or Facebook has changed the session for security reasons.";
    case 341:
      return "(#341) Application limit reached";
    case 613:
      return "(#613) Calls to this api have exceeded the rate limit.";
    case 80002:
      return "(#80002) There have been too many calls to this Instagram account. Wait a bit and "
             "try again. For more info, please refer to "
             "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.";
    default:
      break;
  }
  if (code >= 200 && code <= 299) {
    return "(#" + std::to_string(code) + ") Permissions error";
  }
  return "(#" + std::to_string(code) + ") fakegram injected error";
}

bool graph_transient(int code) {
  return code == 1 || code == 2 || code == 4 || code == 17 || code == 32 || code == 341
         || code == 613 || code == 80002;
}

reply permission_error(const std::string& detail) {
  return graph_error(400, 10, graph_message_for(10) + ": " + detail);
}

reply legacy_error(unsigned status, const std::string& type, const std::string& message) {
  return json_reply(status, {{"meta",
                              {{"error_type", type}, {"code", status}, {"error_message", message}}}});
}

reply oauth_error(const std::string& message) {
  nlohmann::ordered_json body = {
    {"error_type", "OAuthException"}, {"code", 400}, {"error_message", message}};
  reply r;
  r.status = 400;
  r.content_type = "application/json; charset=UTF-8";
  r.body = body.dump();
  return r;
}

reply token_error(dialect dia, token_status why) {
  if (dia == dialect::legacy) {
    return legacy_error(400, "OAuthAccessTokenException", "The access_token provided is invalid.");
  }
  switch (why) {
    case token_status::revoked:
      return graph_error(400, 190,
                         "Error validating access token: The user has not authorized application.",
                         458);
    case token_status::expired:
      return graph_error(400, 190, "Error validating access token: Session has expired.", 463);
    default:
      return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token");
  }
}

reply not_found(dialect dia, const std::string& method, const std::string& path) {
  if (dia == dialect::legacy) {
    return legacy_error(404, "APINotFoundError", "invalid resource: " + method + " " + path);
  }
  return graph_error(404, 100, "Unsupported " + method + " request: " + path, 33, "IGApiException");
}

reply graph_no_object(const std::string& subject, const std::string& method) {
  return graph_error(400, 100,
                     "Unsupported " + method + " request. Object with ID '" + subject
                       + "' does not exist, cannot be loaded due to missing permissions, or does "
                         "not support this operation.",
                     33, "IGApiException");
}

} // namespace fakegram
