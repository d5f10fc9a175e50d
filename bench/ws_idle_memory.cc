// Resident memory per idle WebSocket connection on the HTTP listener, for each engine
// (WsEngine::kBeast, the game server socket's; kMuster, src/ws with light_ws_session.cc).
//
//   build/bench/ws_idle_memory [--connections N] [--runs R] [--engines beast,muster]
//
// Each run serves WebSockets (an echo handler) on one loop thread of this process, forks a client
// that opens N connections from many loopback addresses and completes each upgrade, then reads
// this process's VmRSS before and after and prints (after - before) / N. The client's sockets
// live in the child, so they add nothing here. N is bounded by the open-file limit (this machine:
// 20,000 per process).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "net/http_server.h"

namespace {

using namespace muster;

long RssKib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// The child: N upgrades, one byte on `ready` when all are open, then waits for `done` to close.
[[noreturn]] void Client(std::uint16_t port, int n, int ready, int done) {
  std::vector<int> fds;
  const std::string upgrade =
      "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  for (int i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    const std::string source = "127." + std::to_string(1 + i / 60000) + "." + std::to_string(1 + (i / 240) % 250) +
                               "." + std::to_string(1 + i % 240);
    ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
    ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::send(fd, upgrade.data(), upgrade.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(upgrade.size())) {
      std::fprintf(stderr, "connection %d failed: %s\n", i, std::strerror(errno));
      std::_Exit(1);
    }
    std::string response;
    char buf[1024];
    while (response.find("\r\n\r\n") == std::string::npos) {
      const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
      if (got <= 0) std::_Exit(1);
      response.append(buf, static_cast<std::size_t>(got));
    }
    if (response.rfind("HTTP/1.1 101", 0) != 0) {
      std::fprintf(stderr, "connection %d refused: %s\n", i, response.c_str());
      std::_Exit(1);
    }
    fds.push_back(fd);
  }
  char c = 1;
  (void)!::write(ready, &c, 1);
  (void)!::read(done, &c, 1);
  std::_Exit(0);
}

double Measure(net::WsEngine engine, int n) {
  boost::asio::io_context ioc;
  auto work = boost::asio::make_work_guard(ioc);
  net::HttpServer server(ioc);
  net::ListenOptions options;
  options.limits.max_connections = static_cast<std::size_t>(n) + 100;
  options.limits.max_connections_per_address = 0;
  net::WsCallbacks callbacks;
  callbacks.engine = engine;
  callbacks.on_message = [](const std::shared_ptr<net::WsConnection>& c, std::string&& text) { c->Send(text); };
  auto port = server.Listen(options, [](net::HttpRequest&&, net::Responder respond) { respond({404, "", {}, ""}); },
                            [callbacks](const net::HttpRequest&) {
                              return std::variant<net::WsCallbacks, net::HttpResponse>(callbacks);
                            });
  if (!port.ok()) {
    std::fprintf(stderr, "listen: %s\n", port.error().message.c_str());
    std::exit(1);
  }
  std::thread loop([&] { ioc.run(); });
  // Warm up: the allocator's and the loop's first allocations are not per connection.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const long before = RssKib();
  int ready[2], done[2];
  if (::pipe(ready) != 0 || ::pipe(done) != 0) std::exit(1);
  const pid_t child = ::fork();
  if (child == 0) Client(*port, n, ready[1], done[0]);
  char c;
  if (::read(ready[0], &c, 1) != 1) {
    std::fprintf(stderr, "the client failed\n");
    std::exit(1);
  }
  // Let the loop finish each connection's handshake write.
  while (server.ConnectionCount() < static_cast<std::size_t>(n)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const long after = RssKib();
  (void)!::write(done[1], &c, 1);
  ::waitpid(child, nullptr, 0);
  server.Stop();
  work.reset();
  loop.join();
  for (int fd : {ready[0], ready[1], done[0], done[1]}) ::close(fd);
  return static_cast<double>(after - before) * 1024.0 / n;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 15000, runs = 2;
  std::string engines = "beast,muster";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--connections") n = std::atoi(argv[i + 1]);
    else if (flag == "--runs") runs = std::atoi(argv[i + 1]);
    else if (flag == "--engines") engines = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: %s [--connections N] [--runs R] [--engines beast,muster]\n", argv[0]);
      return 2;
    }
  }
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  for (int run = 1; run <= runs; ++run) {
    for (const char* name : {"beast", "muster"}) {
      if (engines.find(name) == std::string::npos) continue;
      const auto engine = std::string(name) == "beast" ? net::WsEngine::kBeast : net::WsEngine::kMuster;
      // Each measurement in a fresh process, so one engine's freed memory cannot hide the other's.
      const pid_t pid = ::fork();
      if (pid == 0) {
        std::printf("run %d  engine %-6s  %d connections  %.0f bytes per idle connection\n", run, name, n,
                    Measure(engine, n));
        std::fflush(stdout);
        std::_Exit(0);
      }
      ::waitpid(pid, nullptr, 0);
    }
  }
  return 0;
}
