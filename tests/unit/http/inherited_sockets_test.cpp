// Telling the sockets the service manager hands over apart by their names.

#include <catch2/catch.hpp>

#include <stdexcept>

#include "igbridge/inherited_sockets.hpp"

using namespace igbridge;

namespace {

std::string refusal(const std::vector<std::string>& names) {
  try {
    name_inherited_sockets(3, names);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

} // namespace

TEST_CASE("sockets are told apart by name, in any order") {
  auto s = name_inherited_sockets(3, {"admin", "public"});
  CHECK(s.admin_fd == 3);
  CHECK(s.public_fd == 4);
  s = name_inherited_sockets(3, {"public", "admin"});
  CHECK(s.public_fd == 3);
  CHECK(s.admin_fd == 4);
}

TEST_CASE("a listener without a socket handed over binds its own") {
  auto none = name_inherited_sockets(3, {});
  CHECK(none.public_fd == -1);
  CHECK(none.admin_fd == -1);
  auto one = name_inherited_sockets(3, {"public"});
  CHECK(one.public_fd == 3);
  CHECK(one.admin_fd == -1);
}

TEST_CASE("unknown names, repeated names and too many sockets are refused clearly") {
  CHECK(refusal({"unknown", "unknown"}).find("a socket named \"unknown\"") != std::string::npos);
  CHECK(refusal({"public", "metrics"}).find("\"metrics\"") != std::string::npos);
  CHECK(refusal({"public", "public"}).find("two sockets named public") != std::string::npos);
  auto many = refusal({"public", "admin", "admin"});
  CHECK(many.find("passed 3 sockets (public, admin, admin)") != std::string::npos);
  CHECK(many.find("FileDescriptorName=") != std::string::npos);
}
