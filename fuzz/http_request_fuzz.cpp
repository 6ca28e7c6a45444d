// The listener's request parser as it faces the network: a Beast
// request_parser<string_body> configured by configure_request_parser() with
// the server's default limits, fed through Beast's own read loops from a
// stream that hands the bytes over in pieces, the way TCP segments reach
// the session: the head read, the body parsed from what came with it, the
// rest read. A second request pipelined behind the first is read from the
// same buffer.
//
// Beyond "no crash, no leak, no hang" it checks that a request reads the
// same however the bytes are split (a parser that depends on segmentation
// lets a client smuggle one request past another), and that a request read
// successfully is complete and within the body limit. A pass with small
// limits reaches the 431 and 413 paths with inputs of a few hundred bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>

#include "fuzz_check.hpp"
#include "http/request_parser.hpp"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

/// A SyncReadStream over the fuzz input that never returns more than up to
/// the next cut: every `step` bytes (0 = no steps) and at `cut` (0 = none).
class segmented_stream {
public:
  segmented_stream(std::string_view data, std::size_t step, std::size_t cut)
      : data_(data), step_(step), cut_(cut) {
    // nop
  }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, beast::error_code& ec) {
    ec = {};
    if (pos_ == data_.size()) {
      ec = net::error::eof;
      return 0;
    }
    std::size_t n = data_.size() - pos_;
    if (step_ != 0) {
      n = std::min(n, step_ - pos_ % step_);
    }
    if (cut_ > pos_) {
      n = std::min(n, cut_ - pos_);
    }
    n = net::buffer_copy(buffers, net::buffer(data_.data() + pos_, n));
    pos_ += n;
    return n;
  }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    beast::error_code ec;
    auto n = read_some(buffers, ec);
    if (ec) {
      throw beast::system_error(ec);
    }
    return n;
  }

private:
  std::string_view data_;
  std::size_t step_;
  std::size_t cut_;
  std::size_t pos_ = 0;
};

/// What the server would do with one read: its status class and the request.
struct outcome {
  int status = 0; // 200 read, 400 malformed, 413 body limit, 431 header limit, -1 end of stream
  std::string method;
  std::string target;
  unsigned version = 0;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string body;
  bool keep_alive = false;

  bool rejected() const { return status >= 400; }
  bool limit_hit() const { return status == 413 || status == 431; }

  bool operator==(const outcome& o) const {
    return status == o.status && method == o.method && target == o.target &&
           version == o.version && fields == o.fields && body == o.body &&
           keep_alive == o.keep_alive;
  }
};

/// Whether two readings of the same bytes agree where it matters: the same
/// request, or a refusal on both sides. Beast 1.81 lets two things depend
/// on how the bytes arrive, both checked here only as far as they hold:
/// - which 4xx a bad request gets: it subtracts a chunk's size from the body
///   limit again each time it re-reads an unfinished chunk line, so a bad
///   chunk extension fed in small pieces becomes 413 instead of 400;
/// - whether a limit is hit: header_limit bounds the bytes not yet consumed
///   by one put(), so the fields a first segment completes do not count and
///   a header somewhat over the limit passes when it arrives in one piece
///   (fuzz/README.md, "Findings").
bool same_reading(const outcome& a, const outcome& b) {
  if (a.rejected() && b.rejected()) {
    return true;
  }
  if ((a.limit_hit() && !b.rejected()) || (b.limit_hit() && !a.rejected())) {
    return true;
  }
  return a == b;
}

using reading = std::pair<outcome, outcome>; // the first request, the one behind it

bool same_reading(const reading& a, const reading& b) {
  if (!same_reading(a.first, b.first)) {
    return false;
  }
  return a.first.status != 200 || b.first.status != 200 || same_reading(a.second, b.second);
}

/// One request read as session::do_read, on_header and read_body do it
/// (without Expect), on a fresh parser.
outcome read_one(segmented_stream& stream, beast::flat_buffer& buffer,
                 const igbridge::http_server_limits& limits) {
  igbridge::request_parser parser;
  igbridge::configure_request_parser(parser, limits);
  beast::error_code ec;
  bhttp::read_header(stream, buffer, parser, ec);
  if (!ec) {
    igbridge::parse_buffered_body(parser, buffer, ec);
  }
  if (!ec && !parser.is_done()) {
    bhttp::read(stream, buffer, parser, ec);
  }
  outcome o;
  if (ec == bhttp::error::end_of_stream) {
    o.status = -1;
    return o;
  }
  if (ec == bhttp::error::header_limit) {
    o.status = 431;
    return o;
  }
  if (ec == bhttp::error::body_limit) {
    o.status = 413;
    return o;
  }
  if (ec) {
    o.status = 400;
    return o;
  }
  FUZZ_CHECK(parser.is_done());
  auto& msg = parser.get();
  o.status = 200;
  o.method = std::string(msg.method_string());
  o.target = std::string(msg.target());
  o.version = msg.version();
  for (const auto& field : msg) {
    o.fields.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  o.body = msg.body();
  o.keep_alive = msg.keep_alive();
  FUZZ_CHECK(o.body.size() <= limits.body_limit);
  FUZZ_CHECK(!o.method.empty());
  return o;
}

/// The first request and, when it read cleanly, the one pipelined behind it.
reading read_two(std::string_view data, std::size_t step, std::size_t cut,
                 const igbridge::http_server_limits& limits) {
  segmented_stream stream(data, step, cut);
  beast::flat_buffer buffer;
  outcome first = read_one(stream, buffer, limits);
  outcome second;
  if (first.status == 200) {
    second = read_one(stream, buffer, limits);
  }
  return {std::move(first), std::move(second)};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const igbridge::http_server_limits limits{};

  // All at once, then split as a slow client or small segments would.
  auto whole = read_two(input, 0, 0, limits);
  auto first_byte = read_two(input, 0, 1, limits);
  FUZZ_CHECK(same_reading(first_byte, whole));
  if (size >= 2) {
    // A split point and a segment size taken from the input's last bytes.
    std::size_t cut = (data[size - 1] | (data[size - 2] << 8)) % size;
    auto at_cut = read_two(input, 0, cut, limits);
    FUZZ_CHECK(same_reading(at_cut, whole));
    std::size_t step = 1 + data[size - 1] % 13;
    auto stepped = read_two(input, step, 0, limits);
    FUZZ_CHECK(same_reading(stepped, whole));
  }

  // Small limits: a request that reads under them reads the same as under
  // the defaults.
  igbridge::http_server_limits small{};
  small.header_limit = 256;
  small.body_limit = 64;
  auto limited = read_two(input, 0, 0, small);
  if (whole.first.status == 200 && limited.first.status == 200) {
    FUZZ_CHECK(limited.first == whole.first);
  }
  return 0;
}
