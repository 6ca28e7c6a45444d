/// fakegram's stand-in for scontent.cdninstagram.com. URLs are stateless:
/// the path names the file, `oe` is the expiry and `oh` an HMAC over both, so
/// an issued URL works until `oe` and no table of issued URLs is needed.

#include "cdn.hpp"

#include "codec.hpp"
#include "crypto.hpp"
#include "timefmt.hpp"

#include <cstdio>

namespace fakegram {

namespace {

constexpr std::size_t signature_bytes = 18;

std::string signature(const app& a, const std::string& path, const std::string& oe) {
  auto mac = hmac_sha256_raw(a.cdn_key, path + "|" + oe);
  return "00_" + base64url_encode(std::string_view(mac).substr(0, signature_bytes));
}

std::string path_of(const media_file& f) {
  return "/cdn/" + url_encode(f.media_id) + "/" + kind_name(f.kind) + "." + extension_of(f.kind);
}

/// "/cdn/{id}/{kind}.{ext}" → the file it names, when the name is well formed.
std::optional<media_file> parse_path(const std::string& path) {
  auto seg = path_segments(path);
  if (seg.size() != 3 || seg[0] != "cdn") {
    return std::nullopt;
  }
  for (auto k : {file_kind::image, file_kind::video, file_kind::thumbnail}) {
    if (seg[2] == std::string(kind_name(k)) + "." + extension_of(k)) {
      return media_file{seg[1], k};
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_hex_time(const std::string& s) {
  if (s.empty() || s.size() > 12) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  for (char c : s) {
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                     : -1;
    if (d < 0) {
      return std::nullopt;
    }
    v = v * 16 + d;
  }
  return v;
}

reply cdn_error(unsigned status, const std::string& text) {
  auto r = text_reply(status, text, "text/plain; charset=utf-8");
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

} // namespace

std::string cdn_url(const app& a, const std::string& base, const media_file& f) {
  // Round the expiry up to the next whole second: a URL lives at least the TTL.
  auto expiry = (unix_now_ms() + 999) / 1000 + a.opts.media_url_ttl_s;
  char oe[17];
  std::snprintf(oe, sizeof oe, "%llX", static_cast<unsigned long long>(expiry));
  auto path = path_of(f);
  return base + path + "?" + build_query({{"_nc_sid", "fkgram"}, {"oh", signature(a, path, oe)}, {"oe", oe}});
}

std::string cdn_account(const app& a, const std::string& path) {
  auto f = parse_path(path);
  if (!f) {
    return {};
  }
  auto post = a.st.find_post_of(f->media_id);
  return post ? post->account_id : std::string();
}

reply handle_cdn(app& a, const request& req, const std::optional<fault>& injected) {
  auto named = parse_path(req.path);
  auto post = named ? a.st.find_post_of(named->media_id) : std::nullopt;
  auto f = post ? file_of(*named, *post) : std::nullopt;
  if (!f) {
    return cdn_error(404, "Not Found\n");
  }
  auto oe = req.query.count("oe") ? req.query.at("oe") : std::string();
  auto oh = req.query.count("oh") ? req.query.at("oh") : std::string();
  auto expiry = parse_hex_time(oe);
  if (!expiry || oh != signature(a, path_of(*f), oe)) {
    return cdn_error(403, "URL signature mismatch");
  }
  if (unix_now() >= *expiry) {
    return cdn_error(403, "URL signature expired");
  }
  if (injected && injected->status != 0) {
    return cdn_error(injected->status, "fakegram injected HTTP " + std::to_string(injected->status) + "\n");
  }
  auto bytes = file_bytes(*f);
  if (injected && injected->malformed) {
    bytes.resize(bytes.size() / 2); // a truncated file: right headers, wrong bytes
  }
  auto r = text_reply(200, std::move(bytes), content_type_of(f->kind));
  r.headers.emplace_back("Cache-Control", "max-age=1209600, no-transform");
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  return r;
}

} // namespace fakegram
