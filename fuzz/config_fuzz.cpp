// The config loader: parse_config() on a TOML document, including the
// validation and the reading of every *_file secret it names.
//
// Secrets are read from disk, so the target runs in a temporary working
// directory of its own holding the files the seeds name (relative paths such
// as demo.toml's var/demo/secrets/*, and $CREDENTIALS_DIRECTORY/*). Paths in
// the input are really opened: a mutated path may read any file this process
// can, which is fine for a parser that must cope with any file, as long as
// nothing blocks (fuzz/run.sh gives the target no terminal and /dev/null as
// stdin for that reason).
//
// Beyond "no crash": a problem never echoes a secret's content, and a config
// without problems holds what validate() promises.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include <unistd.h>

#include "fuzz_check.hpp"
#include "igbridge/config.hpp"

namespace {

namespace fs = std::filesystem;

/// Every secret file's content starts with this, so a leak is easy to see.
constexpr std::string_view secret_mark = "fz-secret-";

fs::path& workdir() {
  static fs::path dir;
  return dir;
}

void remove_workdir() {
  std::error_code ec;
  fs::current_path("/", ec);
  fs::remove_all(workdir(), ec);
}

void write_file(const fs::path& p, std::string_view content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                     "/igbridge-config-fuzz.XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::perror("config_fuzz: mkdtemp");
    std::abort();
  }
  workdir() = tmpl;
  fs::current_path(workdir());
  std::atexit(remove_workdir);

  // config/demo.toml's relative paths.
  write_file("var/demo/secrets/client_secret", std::string(secret_mark) + "demo-client\n");
  write_file("var/demo/secrets/verify_token", std::string(secret_mark) + "demo-verify\n");
  write_file("var/demo/secrets/link_secret", std::string(secret_mark) + "demo-link\n");
  // What fuzz/seeds/config/*.toml name under $CREDENTIALS_DIRECTORY.
  fs::path cred = workdir() / "credentials";
  write_file(cred / "client_secret", std::string(secret_mark) + "client");
  write_file(cred / "verify_token", std::string(secret_mark) + "verify \t\n");
  write_file(cred / "link_secret", std::string(secret_mark) + "link");
  write_file(cred / "admin_token", std::string(secret_mark) + "admin\n");
  write_file(cred / "old_app_secret", std::string(secret_mark) + "old-app");
  write_file(cred / "sink_secret", std::string(secret_mark) + "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  write_file(cred / "micropub_token", std::string(secret_mark) + "micropub");
  write_file(cred / "empty", "");
  write_file(cred / "blank", " \n\n");
  // Storage keys in each accepted spelling, and two refused ones.
  write_file(cred / "key_hex",
             "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
  write_file(cred / "key_base64", "ABEiM0RVZneImaq7zN3u/wARIjNEVWZ3iJmqu8zd7v8=\n");
  write_file(cred / "key_raw", std::string("0123456789abcdef0123456789abcde\n"));
  write_file(cred / "key_short", "0011223344\n");
  write_file(cred / "key_bad_hex",
             "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
  setenv("CREDENTIALS_DIRECTORY", cred.c_str(), 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  igbridge::config c;
  auto problems = igbridge::parse_config(text, c);

  // "Problems name the key and the path, never the content" — unless the
  // input itself spelled the marker (in a path, say).
  if (text.find(secret_mark) == std::string::npos) {
    for (const auto& p : problems) {
      FUZZ_CHECK(p.key.find(secret_mark) == std::string::npos);
      FUZZ_CHECK(p.message.find(secret_mark) == std::string::npos);
    }
  }
  for (const auto& p : problems) {
    FUZZ_CHECK(!p.key.empty() && !p.message.empty());
  }
  if (problems.empty()) {
    FUZZ_CHECK(c.instagram.dialect == "graph" || c.instagram.dialect == "legacy");
    FUZZ_CHECK(!c.instagram.client_secret.empty());
    FUZZ_CHECK(!c.link.secret.empty());
    FUZZ_CHECK(c.storage.key_file.empty() || c.storage.key.size() == 32);
    FUZZ_CHECK(c.server.threads >= 1 && c.server.threads <= 64);
    FUZZ_CHECK(!c.import.tags.empty());
    for (const auto& tag : c.import.tags) {
      FUZZ_CHECK(!tag.empty());
    }
    FUZZ_CHECK(c.server.public_url.empty() || c.server.public_url.back() != '/');
  }
  return 0;
}
