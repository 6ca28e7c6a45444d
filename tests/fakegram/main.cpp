/// fakegram: the fake Instagram every igbridge test and the demo use (DESIGN.md §7).

#include "app.hpp"
#include "crypto.hpp"
#include "listener.hpp"
#include "notify.hpp"
#include "options.hpp"
#include "router.hpp"
#include "state.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <iostream>
#include <thread>
#include <vector>

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Several threads: a few handlers block on purpose (the hub.challenge GET on
// subscription create, mention and signed_request deliveries wait for
// igbridge's answer), and other requests must keep flowing meanwhile.
constexpr int io_threads = 4;

std::string base_for(const tcp::endpoint& ep, const std::string& host) {
  auto shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return "http://" + shown + ":" + std::to_string(ep.port());
}

} // namespace

int main(int argc, char** argv) {
  std::string error;
  auto opts = fakegram::parse_options(argc, argv, error);
  if (!opts) {
    if (!error.empty()) {
      std::cerr << "fakegram: " << error << "\n";
    }
    std::cerr << fakegram::usage() << std::endl;
    return 2;
  }
  try {
    net::io_context ioc{io_threads};
    auto address = net::ip::make_address(opts->host);
    fakegram::state st(opts->dia);
    fakegram::notifier notes(st, *opts);
    fakegram::app application{*opts, st, notes, "", fakegram::random_hex(16)};
    fakegram::router routes(application);
    auto server = std::make_shared<fakegram::listener>(ioc, tcp::endpoint{address, opts->port}, routes);
    application.listen_base = base_for(server->local_endpoint(), opts->host);

    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
      server->stop();
      ioc.stop();
    });
    server->run();
    std::cout << "fakegram listening on " << application.listen_base << std::endl;

    std::vector<std::thread> threads;
    for (int i = 1; i < io_threads; ++i) {
      threads.emplace_back([&ioc] { ioc.run(); });
    }
    ioc.run();
    for (auto& t : threads) {
      t.join();
    }
    notes.stop();
  } catch (const std::exception& e) {
    std::cerr << "fakegram: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
