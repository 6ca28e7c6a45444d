// Boost's assertions stay on in the fuzz build (they catch a parser in a
// state it should never reach), reported like assert() and aborting, so
// libFuzzer records the input. One is known to be wrong and is let through:
//
// Beast 1.81's parse_chunk_header asserts n >= 5 when it comes back to a
// final chunk ("0\r\n") whose trailer was incomplete, but a read may add a
// single byte (n == 4). The code after it is correct and returns need_more;
// release builds (NDEBUG) never see it. Fixed upstream in boostorg/beast#2861
// (Boost 1.86). Reproducer: fuzz/regressions/http_request/.

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool ends_with(const char* s, const char* suffix) {
  std::size_t n = std::strlen(s);
  std::size_t m = std::strlen(suffix);
  return n >= m && std::strcmp(s + n - m, suffix) == 0;
}

bool known_false_alarm(const char* expr, const char* function, const char* file) {
  return ends_with(file, "boost/beast/http/impl/basic_parser.ipp") &&
         std::strcmp(expr, "n >= 5") == 0 && std::strstr(function, "parse_chunk_header") != nullptr;
}

} // namespace

namespace boost {

void assertion_failed(const char* expr, const char* function, const char* file, long line) {
  if (known_false_alarm(expr, function, file)) {
    return;
  }
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed.\n", file, line, function, expr);
  std::abort();
}

void assertion_failed_msg(const char* expr, const char* msg, const char* function,
                          const char* file, long line) {
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed: %s\n", file, line, function, expr, msg);
  std::abort();
}

} // namespace boost
