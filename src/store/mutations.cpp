// Captured mutations as bytes (mutations.hpp). Fixed-width big-endian
// lengths: a batch is read back exactly or refused whole.

#include "igbridge/mutations.hpp"

#include <algorithm>

namespace igbridge {

namespace {

constexpr std::string_view magic = "IGM1";

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

void put_text(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

struct reader {
  std::string_view in;
  bool ok = true;
  uint32_t u32() {
    if (in.size() < 4) {
      ok = false;
      return 0;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      v = (v << 8) | static_cast<uint8_t>(in[i]);
    }
    in.remove_prefix(4);
    return v;
  }
  std::string_view text() {
    auto n = u32();
    if (!ok || in.size() < n) {
      ok = false;
      return {};
    }
    auto s = in.substr(0, n);
    in.remove_prefix(n);
    return s;
  }
  uint8_t byte() {
    if (in.empty()) {
      ok = false;
      return 0;
    }
    auto b = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    return b;
  }
};

} // namespace

void begin_batch(std::string& out) {
  out.append(magic);
  put_u32(out, 0); // end_batch writes the count
}

void append_mutation(std::string& out, db d, mutation::kind op, std::string_view key,
                     std::string_view value) {
  out.push_back(static_cast<char>(op));
  put_text(out, name_of(d));
  put_text(out, key);
  put_text(out, value);
}

void append_batch(std::string& out, std::string_view batch) {
  out.append(batch.substr(std::min(batch.size(), magic.size() + 4)));
}

void end_batch(std::string& out, uint32_t count) {
  for (int i = 0; i < 4; ++i) {
    out[magic.size() + i] = static_cast<char>((count >> (24 - 8 * i)) & 0xff);
  }
}

std::string encode_mutations(const mutation_list& muts) {
  std::size_t size = magic.size() + 4;
  for (const auto& m : muts) {
    size += 1 + 12 + std::string_view(name_of(m.d)).size() + m.key.size() + m.value.size();
  }
  std::string out;
  out.reserve(size);
  begin_batch(out);
  for (const auto& m : muts) {
    append_mutation(out, m.d, m.op, m.key, m.value);
  }
  end_batch(out, static_cast<uint32_t>(muts.size()));
  return out;
}

bool for_each_mutation(std::string_view batch,
                       const std::function<void(db, mutation::kind, std::string_view,
                                                std::string_view)>& each) {
  if (batch.empty()) {
    return true;
  }
  if (batch.size() < magic.size() + 4 || batch.substr(0, magic.size()) != magic) {
    return false;
  }
  reader r{batch.substr(magic.size() + 4)};
  while (!r.in.empty()) {
    auto op = r.byte();
    auto name = r.text();
    auto key = r.text();
    auto value = r.text();
    auto d = db_named(name);
    if (!r.ok || !d || op > static_cast<uint8_t>(mutation::kind::del_key)) {
      return false;
    }
    each(*d, static_cast<mutation::kind>(op), key, value);
  }
  return true;
}

std::optional<mutation_list> decode_mutations(std::string_view bytes) {
  if (bytes.substr(0, magic.size()) != magic) {
    return std::nullopt;
  }
  reader r{bytes.substr(magic.size())};
  auto n = r.u32();
  // Each mutation takes at least 13 bytes: a count beyond that is a lie.
  if (!r.ok || n > r.in.size() / 13) {
    return std::nullopt;
  }
  mutation_list out;
  out.reserve(n);
  bool whole = for_each_mutation(bytes, [&](db d, mutation::kind op, std::string_view key,
                                            std::string_view value) {
    out.push_back(mutation{d, op, std::string(key), std::string(value)});
  });
  if (!whole || out.size() != n) {
    return std::nullopt;
  }
  return out;
}

} // namespace igbridge
