// store_ops: times one user's erase or settle among many other users'
// entries (issue 21, must-show 2: the cost must not grow with the others'
// count). It seeds a fresh store directly through the store layer in big
// transactions, then runs the operation many times and prints one JSON line
// with the median and p90, of the operation alone and with its commit.
//
//   store_ops --op erase|settle|page|hints [--others N] [--capture off|on|file]
//             [--dir DIR] [--iterations K] [--warmup W] [--chunk C] [--keep]
//
// erase:  N outbox entries of other users; each iteration stores everything
//         of one user (10 outbox entries among them), untimed, then times
//         its erase.
// settle: N other users with a due hint; each iteration times one user's
//         settle (its hint also due).
// page, hints: what mutation capture costs a commit (--capture): one page
//         of a fetch (100 imports; among N others' outbox entries), or one
//         group commit of 16 webhooks' hints.
// The store goes in a fresh directory under DIR (default /dev/shm, where a
// commit's flush costs nothing, so the figures are the B-tree work), removed
// afterwards unless --keep.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "store_ops.hpp"

namespace {

struct options {
  std::string op;
  uint64_t others = 0;
  std::string capture = "off";
  std::string dir = "/dev/shm";
  int iterations = 200;
  int warmup = 10;
  uint64_t chunk = 100000;
  bool keep = false;
};

/// Median, p90, min and max of `v`, in µs.
nlohmann::json summary(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    return v[i] * 1e6;
  };
  return {{"median", at(0.5)}, {"p90", at(0.9)}, {"min", v.front() * 1e6},
          {"max", v.back() * 1e6}};
}

std::string fresh_dir(const std::string& under) {
  std::string tmpl = under + "/igbridge-store-ops.XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("cannot create a directory under " + under);
  }
  return tmpl;
}

int run(const options& o) {
  using clock = std::chrono::steady_clock;
  auto dir = fresh_dir(o.dir);
  auto now = static_cast<int64_t>(std::time(nullptr));
  nlohmann::json out{{"op", o.op}, {"others", o.others}, {"capture", o.capture}};
  auto cap = o.capture == "off"  ? store_ops::capture::off
             : o.capture == "on" ? store_ops::capture::on
                                 : store_ops::capture::file;
  {
    igbridge::store db(dir, std::size_t{1} << 30);
    auto t0 = clock::now();
    if (o.op == "erase") {
      store_ops::seed_outbox_others(db, o.others, o.chunk, now);
    } else if (o.op == "settle") {
      store_ops::seed_due_hints_others(db, o.others, o.chunk, now);
      store_ops::seed_settling_target(db, now);
    } else if (o.op == "page") {
      store_ops::seed_outbox_others(db, o.others, o.chunk, now);
      store_ops::seed_page_user(db, now);
    } else {
      store_ops::seed_hinted_users(db, now);
    }
    out["seed_s"] = std::chrono::duration<double>(clock::now() - t0).count();
    std::vector<double> op_s;
    std::vector<double> txn_s;
    for (int i = -o.warmup; i < o.iterations; ++i) {
      store_ops::sample s;
      if (o.op == "erase") {
        store_ops::seed_target(db, now);
        s = store_ops::erase_target(db);
      } else if (o.op == "settle") {
        s = store_ops::settle_target(db, now);
      } else if (o.op == "page") {
        s = store_ops::page_target(db, now, cap);
      } else {
        s = store_ops::hints_batch(db, now, cap);
      }
      if (i >= 0) {
        op_s.push_back(s.op_s);
        txn_s.push_back(s.txn_s);
      }
    }
    store_ops::check(db, o.op, o.others, o.op == "erase");
    out["iterations"] = o.iterations;
    out["op_us"] = summary(op_s);
    out["txn_us"] = summary(txn_s);
    out["store_bytes"] = db.usage().first;
  }
  if (!o.keep) {
    std::filesystem::remove_all(dir);
  } else {
    out["dir"] = dir;
  }
  std::cout << out.dump() << std::endl;
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"Times one user's erase or settle among N others' entries"};
  app.add_option("--op", o.op, "erase | settle | page | hints")
    ->required()
    ->check(CLI::IsMember({"erase", "settle", "page", "hints"}));
  app.add_option("--others", o.others,
                 "other users' outbox entries (erase, page) or due hints (settle)");
  app.add_option("--capture", o.capture, "page, hints: off | on | file (mutation capture)")
    ->check(CLI::IsMember({"off", "on", "file"}));
  app.add_option("--dir", o.dir, "where the temporary store goes");
  app.add_option("--iterations", o.iterations, "timed runs")->check(CLI::Range(1, 1000000));
  app.add_option("--warmup", o.warmup, "untimed runs first")->check(CLI::Range(0, 1000000));
  app.add_option("--chunk", o.chunk, "seeded entries per transaction")->check(CLI::Range(1, 10000000));
  app.add_flag("--keep", o.keep, "keep the store (its directory is printed)");
  CLI11_PARSE(app, argc, argv);
  // On a thread of its own, like the daemon's writer: glibc gives it an
  // arena of its own, which gives memory back to the system differently
  // from the main one (the main heap is trimmed at every large free).
  int rc = 1;
  std::thread worker([&] {
    try {
      rc = run(o);
    } catch (const std::exception& e) {
      std::cerr << "store_ops: " << e.what() << std::endl;
    }
  });
  worker.join();
  return rc;
}
