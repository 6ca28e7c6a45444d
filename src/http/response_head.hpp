#pragma once
// The bytes of an answer's status line and header fields, written by hand:
// Beast's message and serializer cost a webhook's answer more CPU than its
// signature check (a header field list built, then a buffer sequence of
// a dozen pieces walked per write), for a head that is a few fixed lines.

#include <string>

#include "igbridge/http_types.hpp"

namespace igbridge {

/// Whether an answer with this status carries no body and no
/// Content-Length (RFC 9110 §6.4.1, §8.6): 1xx, 204 and 304.
bool bodiless_status(int status);

/// Appends to `out` the HTTP/1.1 head of `r`: its own fields, a JSON
/// Content-Type when it has a body and names none, Server, Content-Length
/// (the body's, also for HEAD, whose body is not sent) and, when the
/// connection closes after it, Connection: close.
void append_response_head(const http_response& r, bool close_after, std::string& out);

} // namespace igbridge
