// The SAX readers of webhook_payloads.cpp against the DOM readers they
// replaced (kept here, as they were, as the reference): the same answer for
// every payload, including the corners a DOM settles by itself — repeated
// keys (the last one counts), the depth limit, repeated "entry" lists.

#include "igbridge/webhook.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <unordered_set>

#include "instagram/bounded_json.hpp"

using namespace igbridge;
using ids = std::vector<std::string>;

namespace {

// -- the DOM readers, as they were -------------------------------------------------

namespace reference {

using json = nlohmann::json;

bool plausible_id(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '_' || c == '-';
         });
}

std::optional<std::string> id_value(const json& v) {
  std::string id;
  if (v.is_string()) {
    id = v.get<std::string>();
  } else if (v.is_number_unsigned()) {
    id = std::to_string(v.get<uint64_t>());
  } else if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    id = std::to_string(v.get<int64_t>());
  } else {
    return std::nullopt;
  }
  if (!plausible_id(id)) {
    return std::nullopt;
  }
  return id;
}

struct distinct_ids {
  std::vector<std::string> ids;
  std::unordered_set<std::string> seen;
  void add(std::string id) {
    if (seen.insert(id).second) {
      ids.push_back(std::move(id));
    }
  }
};

std::optional<ids> graph(std::string_view body) {
  json j = detail::parse_bounded(body);
  if (!j.is_object()) {
    return std::nullopt;
  }
  auto object = j.find("object");
  if (object == j.end() || !object->is_string() || *object != "instagram") {
    return std::nullopt;
  }
  auto entries = j.find("entry");
  if (entries == j.end() || !entries->is_array() || entries->size() > max_webhook_entries) {
    return std::nullopt;
  }
  distinct_ids out;
  for (const auto& entry : *entries) {
    if (!entry.is_object()) {
      return std::nullopt;
    }
    auto id_field = entry.find("id");
    if (id_field == entry.end()) {
      return std::nullopt;
    }
    auto id = id_value(*id_field);
    if (!id) {
      return std::nullopt;
    }
    auto changes = entry.find("changes");
    if (changes != entry.end() && !changes->is_array()) {
      return std::nullopt;
    }
    auto messaging = entry.find("messaging");
    if (messaging != entry.end() && !messaging->is_array()) {
      return std::nullopt;
    }
    // A dashboard test ("0") or a direct message names no account to fetch.
    if (*id == "0" || (messaging != entry.end() && changes == entry.end())) {
      continue;
    }
    out.add(std::move(*id));
  }
  return std::move(out.ids);
}

std::optional<ids> legacy(std::string_view body) {
  json j = detail::parse_bounded(body);
  if (!j.is_array() || j.size() > max_webhook_entries) {
    return std::nullopt;
  }
  distinct_ids out;
  for (const auto& update : j) {
    if (!update.is_object()) {
      return std::nullopt;
    }
    auto object = update.find("object");
    if (object == update.end() || !object->is_string()) {
      return std::nullopt;
    }
    if (*object != "user") {
      continue;
    }
    auto id_field = update.find("object_id");
    if (id_field == update.end()) {
      return std::nullopt;
    }
    auto id = id_value(*id_field);
    if (!id) {
      return std::nullopt;
    }
    out.add(std::move(*id));
  }
  return std::move(out.ids);
}

} // namespace reference

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Both readers of each dialect agree on `body`; counts the payloads
/// each dialect accepted, so a test can tell it compared more than refusals.
struct agreement {
  std::size_t graph = 0;
  std::size_t legacy = 0;
};

void same_as_dom(const std::string& body, agreement& accepted) {
  INFO(body.substr(0, 300));
  auto graph = parse_graph_update(body);
  CHECK(graph == reference::graph(body));
  accepted.graph += graph ? 1 : 0;
  auto legacy = parse_legacy_update(body);
  CHECK(legacy == reference::legacy(body));
  accepted.legacy += legacy ? 1 : 0;
}

std::string nested(int depth, const std::string& open, const std::string& inner,
                   const std::string& close) {
  std::string s;
  for (int i = 0; i < depth; ++i) {
    s += open;
  }
  s += inner;
  for (int i = 0; i < depth; ++i) {
    s += close;
  }
  return s;
}

/// Payloads of both dialects, valid and not, the fuzz seeds among them.
std::vector<std::string> corpus() {
  std::vector<std::string> out = {
      R"({"object":"instagram","entry":[{"id":"1","time":1},{"id":2},{"id":"1"}]})",
      R"({"object":"instagram","entry":[]})",
      R"({"entry":[{"id":"5"}],"object":"instagram"})",
      // Repeated keys: the last one counts.
      R"({"object":"page","object":"instagram","entry":[{"id":"1"}]})",
      R"({"object":"instagram","object":"page","entry":[{"id":"1"}]})",
      R"({"object":"instagram","entry":[{"id":"1"}],"entry":[{"id":"2"},{"id":"3"}]})",
      R"({"object":"instagram","entry":[1],"entry":[{"id":"2"}]})",
      R"({"object":"instagram","entry":[{"id":"2"}],"entry":[1]})",
      R"({"object":"instagram","entry":[{"id":"2"}],"entry":{}})",
      R"({"object":"instagram","entry":{},"entry":[{"id":"2"}]})",
      R"({"object":"instagram","entry":[{"id":null,"id":"7"}]})",
      R"({"object":"instagram","entry":[{"id":"7","id":null}]})",
      R"({"object":"instagram","entry":[{"id":"a b","id":"7"}]})",
      R"({"object":"instagram","entry":[{"id":"7","changes":{},"changes":[]}]})",
      R"({"object":"instagram","entry":[{"id":"7","changes":[],"changes":1}]})",
      R"({"object":"instagram","entry":[{"id":"7","changes":null}]})",
      R"({"object":"instagram","entry":[{"id":"7","changes":[{"id":"x y"}]}]})",
      R"({"object":"instagram","entry":[{"id":"7","x":{"entry":[1],"id":null}}]})",
      R"({"object":"instagram","other":{"entry":1,"object":"page"},"entry":[{"id":"8"}]})",
      R"({"object":"instagram","other":[[{"id":null}]],"entry":[{"id":"8"}]})",
      // Numbers spelled every way.
      R"({"object":"instagram","entry":[{"id":0},{"id":-0},{"id":18446744073709551615}]})",
      R"({"object":"instagram","entry":[{"id":18446744073709551616}]})",
      R"({"object":"instagram","entry":[{"id":9223372036854775807},{"id":1e3}]})",
      R"({"object":"instagram","entry":[{"id":-1}]})",
      R"({"object":"instagram","entry":[{"id":true}]})",
      R"({"object":"instagram","entry":[{"id":"\u0031\u0032"}]})",
      R"({"object":"instagram","entry":[{"id":"1\u0000"}]})",
      R"({"object":"instagram","entry":[{"id":""}]})",
      R"({"object":"\u0069nstagram","entry":[{"id":"1"}]})",
      R"({"object":"instagram","entry":[{"id":"1"}]} )",
      R"( {"object":"instagram","entry":[{"id":"1"}]})",
      R"({"object":"instagram","entry":[{"id":"1"}]}{})",
      R"({"object":"instagram","entry":[{"id":"1"},]})",
      R"({"object":"instagram","entry":[{"id":"1"})",
      R"({"object":"instagram",,"entry":[]})",
      R"({"object":"instagram","entry":[{"id":"1"}]}/**/)",
      R"({"object":"instagram","entry":[{"id":"x"},{"id":"x"},{"id":"y"},{"id":"x"}]})",
      "{\"object\":\"instagram\",\"entry\":[{\"id\":\"\xff\"}]}",
      "\xef\xbb\xbf{\"object\":\"instagram\",\"entry\":[]}",
      "",
      " ",
      "null",
      "{}",
      "[]",
      "[[]]",
      "[{}]",
      R"([{"object":"user","object_id":"7"}])",
      R"([{"object":"user","object_id":"7"},{"object":"user","object_id":7}])",
      R"([{"object":"tag"},{"object":"user","object_id":"7"}])",
      R"([{"object":"tag","object_id":null}])",
      R"([{"object":"user","object":"tag"}])",
      R"([{"object":"tag","object":"user","object_id":"1"}])",
      R"([{"object":"user","object_id":null,"object_id":"1"}])",
      R"([{"object":"user","object_id":"1","object_id":[]}])",
      R"([{"object":"user","object_id":"1"},1])",
      R"([{"object":"user","object_id":"1"},{"object":null}])",
      R"([{"object":"user","object_id":"1","x":[{"object":1}]}])",
      R"([{"object":"user","object_id":"1"}] x)",
      R"([{"object":"USER","object_id":"1"}])",
  };
  // The depth limit at its edge, with each kind of innermost value.
  for (int d : {30, 31, 32, 33, 34}) {
    for (const char* inner : {"", "1", "{}", "[]", R"({"a":1})", R"("s")"}) {
      out.push_back(R"({"object":"instagram","entry":[{"id":"1","changes":)" +
                    nested(d, "[", inner, "]") + "}]}");
      out.push_back(R"({"object":"instagram","x":)" + nested(d, R"({"k":)", inner, "}") +
                    R"(,"entry":[]})");
      out.push_back(nested(d, "[", inner, "]"));
      out.push_back(R"([{"object":"tag","x":)" + nested(d, "[", inner, "]") + "}]");
    }
  }
  // The entry limit at its edge.
  for (std::size_t n : {max_webhook_entries, max_webhook_entries + 1}) {
    std::string g = R"({"object":"instagram","entry":[)";
    std::string l = "[";
    for (std::size_t i = 0; i < n; ++i) {
      g += (i ? "," : "") + std::string(R"({"id":")") + std::to_string(i % 700) + "\"}";
      l += (i ? "," : "") + std::string(R"({"object":"user","object_id":)") +
           std::to_string(i % 300) + "}";
    }
    out.push_back(g + "]}");
    out.push_back(l + "]");
    out.push_back(g + R"(],"entry":[{"id":"1"}]})");
  }
  namespace fs = std::filesystem;
  fs::path root = fs::path(IGBRIDGE_SAMPLES_DIR).parent_path().parent_path();
  for (const auto& dir : {root / "tests" / "samples", root / "fuzz" / "seeds" / "graph_update",
                          root / "fuzz" / "seeds" / "legacy_update"}) {
    if (!fs::is_directory(dir)) {
      continue;
    }
    for (const auto& f : fs::directory_iterator(dir)) {
      out.push_back(read_file(f.path()));
    }
  }
  return out;
}

} // namespace

TEST_CASE("SAX payload readers answer as the DOM readers did", "[webhook]") {
  agreement accepted;
  for (const auto& body : corpus()) {
    same_as_dom(body, accepted);
  }
  CHECK(accepted.graph >= 20);
  CHECK(accepted.legacy >= 8);
}

/// A random JSON value shaped like the payloads: keys and values drawn
/// from what the readers look for, repeated keys, wrong types, nesting.
std::string random_value(std::mt19937& rng, int depth) {
  static const char* keys[] = {"object", "entry", "id", "changes", "messaging", "object_id",
                               "time", "x"};
  static const char* scalars[] = {
      R"("instagram")", R"("user")", R"("tag")", R"("1")", R"("17841400000000001")",
      R"("a b")", R"("")", "7", "0", R"("0")", "-0", "-3", "1.5", "18446744073709551615",
      "18446744073709551616", "null", "true", R"("1")"};
  auto pick = [&rng](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  int kind = depth > 5 ? 0 : static_cast<int>(pick(4));
  if (kind == 0) {
    return scalars[pick(sizeof scalars / sizeof *scalars)];
  }
  std::size_t n = pick(4);
  std::string s = kind == 1 ? "[" : "{";
  for (std::size_t i = 0; i < n; ++i) {
    s += i ? "," : "";
    if (kind != 1) {
      s += std::string("\"") + keys[pick(sizeof keys / sizeof *keys)] + "\":";
    }
    s += random_value(rng, depth + 1);
  }
  return s + (kind == 1 ? "]" : "}");
}

/// Something close to a payload of either dialect, so that many are
/// accepted and the rest are refused for one small reason.
std::string random_payload(std::mt19937& rng) {
  auto entry = [&rng] {
    std::string e = "{";
    std::size_t fields = rng() % 4;
    for (std::size_t i = 0; i < fields; ++i) {
      e += i ? "," : "";
      switch (rng() % 5) {
        case 0:
        case 1:
          e += R"("id":)" + std::string(rng() % 4 ? R"(")" + std::to_string(rng() % 5) + R"(")"
                                                    : random_value(rng, 3));
          break;
        case 2:
          e += R"("changes":)" + std::string(rng() % 3 ? "[]" : random_value(rng, 3));
          break;
        case 3:
          e += R"("object":)" + std::string(rng() % 3 ? R"("user")" : random_value(rng, 3));
          e += rng() % 3 ? R"(,"object_id":)" + std::to_string(rng() % 5) : "";
          break;
        default:
          e += R"("x":)" + random_value(rng, 3);
          break;
      }
    }
    return e + "}";
  };
  std::string list = "[";
  std::size_t n = rng() % 5;
  for (std::size_t i = 0; i < n; ++i) {
    list += (i ? "," : "") + (rng() % 10 ? entry() : random_value(rng, 2));
  }
  list += "]";
  if (rng() % 3 == 0) {
    return list; // legacy
  }
  std::string top = "{";
  std::size_t fields = 1 + rng() % 4;
  for (std::size_t i = 0; i < fields; ++i) {
    top += i ? "," : "";
    switch (rng() % 4) {
      case 0:
        top += R"("object":)" + std::string(rng() % 4 ? R"("instagram")" : random_value(rng, 1));
        break;
      case 1:
      case 2:
        top += R"("entry":)" + (rng() % 5 ? list : random_value(rng, 1));
        break;
      default:
        top += R"("x":)" + random_value(rng, 1);
        break;
    }
  }
  return top + "}";
}

TEST_CASE("SAX payload readers answer as the DOM readers did on generated payloads",
          "[webhook]") {
  agreement accepted;
  std::mt19937 rng(12);
  for (int round = 0; round < 30000; ++round) {
    std::string s = random_payload(rng);
    if (rng() % 8 == 0 && !s.empty()) {
      // One syntax slip: a byte dropped, doubled or replaced.
      std::size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s.erase(at, 1);
          break;
        case 1:
          s.insert(at, 1, s[at]);
          break;
        default:
          s[at] = "{}[],:\" x0"[rng() % 9];
          break;
      }
    }
    same_as_dom(s, accepted);
  }
  CHECK(accepted.graph >= 800);
  CHECK(accepted.legacy >= 1500);
}

TEST_CASE("graph update: repeated keys, the last one counts", "[webhook]") {
  CHECK(parse_graph_update(R"({"object":"page","object":"instagram","entry":[{"id":"1"}]})") ==
        ids{"1"});
  CHECK(parse_graph_update(
            R"({"object":"instagram","entry":[{"id":"1"}],"entry":[{"id":"2"},{"id":"2"}]})") ==
        ids{"2"});
  CHECK(parse_graph_update(R"({"object":"instagram","entry":[1],"entry":[{"id":"3"}]})") ==
        ids{"3"});
  CHECK_FALSE(parse_graph_update(R"({"object":"instagram","entry":[{"id":"3"}],"entry":{}})"));
  CHECK(parse_graph_update(R"({"object":"instagram","entry":[{"id":null,"id":4}]})") ==
        ids{"4"});
  CHECK(parse_legacy_update(R"([{"object":"tag","object":"user","object_id":"5"}])") ==
        ids{"5"});
}

TEST_CASE("payload ids stay distinct past the linear search", "[webhook]") {
  std::string g = R"({"object":"instagram","entry":[)";
  ids want;
  for (int i = 0; i < 100; ++i) {
    g += (i ? "," : "") + std::string(R"({"id":")") + std::to_string(i % 40 + 1) + "\"}";
    if (i < 40) {
      want.push_back(std::to_string(i + 1));
    }
  }
  CHECK(parse_graph_update(g + "]}") == want);
}
