// sample-game-server: a minimal game server using the Muster server SDK (see
// docs/sample-game-server.md).
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <iostream>

#include "common/log.h"
#include "examples/sample_game_server/game_server.h"

int main(int argc, char** argv) {
  using namespace muster;
  bool help = false;
  auto options = sample::ParseOptions(argc, argv, &help);
  if (help) {
    std::cout << sample::Usage();
    return 0;
  }
  if (!options.ok()) {
    std::cerr << options.error().message << "\n" << sample::Usage();
    return 2;
  }
  if (options->fleet_id.empty() || options->compute_id.empty()) {
    std::cerr << "--fleet-id and --compute-id are required\n" << sample::Usage();
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  boost::asio::io_context io;
  sample::GameServer server(io, *options);
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    MLOG(kInfo) << "game: signal " << sig << "; ending the process";
    server.Terminate();
  });
  Status st = server.Start();
  if (!st.ok()) {
    MLOG(kError) << "game: cannot start: " << st.error().message;
    return 1;
  }
  io.run();
  return server.exit_code();
}
