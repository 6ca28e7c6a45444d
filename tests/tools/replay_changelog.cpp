// replay_changelog FILE DIR: applies every batch of a changelog file
// (8-byte big-endian length, then encode_mutations bytes; what igbridge
// writes under IGBRIDGE_CHANGELOG_FILE) to the store at DIR, one write
// transaction per batch, as a new shard owner would. Prints the batches
// and mutations applied; exits 1 on a damaged file.

#include <fstream>
#include <iostream>
#include <sstream>

#include "igbridge/mutations.hpp"
#include "igbridge/store.hpp"

int main(int argc, char** argv) {
  using namespace igbridge;
  if (argc != 3) {
    std::cerr << "usage: replay_changelog FILE DIR\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << argv[1] << "\n";
    return 1;
  }
  std::stringstream all;
  all << in.rdbuf();
  std::string bytes = all.str();
  store s{argv[2]};
  std::size_t pos = 0;
  std::size_t batches = 0;
  std::size_t mutations = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 8) {
      std::cerr << "truncated length at " << pos << "\n";
      return 1;
    }
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i) {
      n = (n << 8) | static_cast<uint8_t>(bytes[pos + i]);
    }
    pos += 8;
    if (bytes.size() - pos < n) {
      std::cerr << "truncated batch at " << pos << "\n";
      return 1;
    }
    auto batch = decode_mutations(std::string_view(bytes).substr(pos, n));
    if (!batch) {
      std::cerr << "unreadable batch at " << pos << "\n";
      return 1;
    }
    pos += n;
    for (;;) {
      try {
        auto txn = s.write();
        apply_mutations(txn, *batch);
        txn.commit();
        break;
      } catch (const store_full&) {
        s.grow();
      }
    }
    ++batches;
    mutations += batch->size();
  }
  std::cout << batches << " batches, " << mutations << " mutations\n";
  return 0;
}
