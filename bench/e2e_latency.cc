// End-to-end placement latency of a running musterd, measured by C++ game clients (the client
// library of sdk/client): from the fourth ticket of a 2v2 being accepted to all four players'
// status routes returning their connection info, over N matches, with the sample game servers
// already running. Every request is signed when sent and verified by the server.
//
//   e2e_latency --url http://127.0.0.1:8080 [--matches 1000] [--poll-ms 0]
//
// Each match: four guests log in (identity API) and request tickets one after the other; the
// clock starts when the fourth request returns. Each player then polls its status route on a
// thread and a keep-alive connection of its own (back to back with --poll-ms 0, the default, else
// with that pause after each "not placed yet"), each poll signed as it is sent, until placed (a
// game client's library opens a connection per call; at one poll a second that costs nothing,
// back to back it would measure the client); the time of the last player to see its placement is the
// sample. Then the four join the game server over TCP and leave, so it hosts the next game, and
// the next match waits until both locations list a free server again. Prints one JSON line:
// p50/p90/p99/max in milliseconds. bench/e2e_latency.sh starts musterd and runs this.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sdk/client/muster_client.h"
#include "sdk/client/probes.h"
#include "tools/load/response_reader.h"
#include "tools/load/workloads.h"

namespace {

using muster::client::MusterClient;
using Steady = std::chrono::steady_clock;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "e2e_latency: %s\n", what.c_str());
  std::exit(1);
}

struct Args {
  std::string url = "http://127.0.0.1:8080";
  int matches = 1000;
  int poll_ms = 0;
  std::string pool = "local:00000000-0000-0000-0000-000000000000";
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    if (i + 1 >= argc) Fail("flag " + f + " needs a value");
    std::string v = argv[++i];
    if (f == "--url") a.url = v;
    else if (f == "--matches") a.matches = std::max(1, std::atoi(v.c_str()));
    else if (f == "--poll-ms") a.poll_ms = std::max(0, std::atoi(v.c_str()));
    else if (f == "--pool") a.pool = v;
    else Fail("unknown flag " + f + " (flags: --url, --matches, --poll-ms, --pool)");
  }
  return a;
}

void WaitForFreeServers(MusterClient& c, std::size_t n) {
  const auto deadline = Steady::now() + std::chrono::seconds(20);
  for (;;) {
    auto locations = c.FetchLocations();
    if (locations.ok() && locations->size() >= n) return;
    if (Steady::now() > deadline) Fail("fewer than " + std::to_string(n) + " locations have a free game server");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Polls one player's status route on one keep-alive connection until placed.
muster::Result<muster::client::Placement> PollPlacement(const MusterClient& player, const std::string& ticket,
                                                        const muster::client::Endpoint& ep, int poll_ms) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(ep.port);
  if (fd < 0 || ::inet_pton(AF_INET, ep.host.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) ::close(fd);
    return muster::Error::Unavailable("cannot connect to " + ep.host + " (an IPv4 address is needed)");
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  muster::load::ResponseReader reader;
  const auto deadline = Steady::now() + std::chrono::seconds(30);
  auto result = [&]() -> muster::Result<muster::client::Placement> {
    while (Steady::now() < deadline) {
      std::string wire = muster::load::Serialize(
          player.BuildSigned("GET", "/requestmatchstatus", muster::client::TicketStatusQuery(ticket), ""));
      if (::send(fd, wire.data(), wire.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(wire.size())) {
        return muster::Error::Unavailable("send failed");
      }
      muster::load::Response r;
      for (;;) {
        auto state = reader.Next(&r);
        if (state == muster::load::ResponseReader::State::kDone) break;
        if (state == muster::load::ResponseReader::State::kError) return muster::Error::Internal(reader.error());
        char buf[16384];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return muster::Error::Unavailable("the server closed the connection");
        reader.Append(buf, static_cast<std::size_t>(n));
      }
      if (r.status != 200) return muster::Error::Internal("GET /requestmatchstatus: HTTP " + std::to_string(r.status) + " " + r.body);
      MUSTER_ASSIGN_OR_RETURN(auto p, muster::client::ParseMatchStatus(r.body));
      if (p.player_session_id != "NotPlacedYet") return p;
      if (poll_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
    }
    return muster::Error::Unavailable("not placed within 30 s");
  }();
  ::close(fd);
  return result;
}

double Quantile(const std::vector<double>& sorted, double q) {
  auto i = static_cast<std::size_t>(std::floor(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, i)];
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = Parse(argc, argv);
  auto endpoint = muster::client::ParseEndpoint(a.url);
  if (!endpoint.ok()) Fail(endpoint.error().message);
  muster::client::ClientOptions options;
  options.endpoint = *endpoint;
  options.pool_id = a.pool;
  const std::vector<muster::client::LocationLatency> latencies = {{"custom-local-a", 10}, {"custom-local-b", 30}};

  std::vector<double> samples;
  for (int m = 0; m < a.matches; ++m) {
    std::vector<MusterClient> players;
    for (int i = 0; i < 4; ++i) {
      players.emplace_back(options);
      if (auto st = players.back().Login(); !st.ok()) Fail("login: " + st.error().message);
    }
    WaitForFreeServers(players.front(), 2);
    std::vector<std::string> tickets;
    for (auto& p : players) {
      auto t = p.RequestMatchmaking(latencies);
      if (!t.ok()) Fail("requestmatchmaking: " + t.error().message);
      tickets.push_back(*t);
    }
    const auto t0 = Steady::now();
    std::vector<muster::Result<muster::client::Placement>> placed(4, muster::Error::Internal("not polled"));
    std::vector<Steady::time_point> at(4);
    {
      std::vector<std::thread> pollers;
      for (int i = 0; i < 4; ++i) {
        pollers.emplace_back([&, i] {
          placed[i] = PollPlacement(players[i], tickets[i], *endpoint, a.poll_ms);
          at[i] = Steady::now();
        });
      }
      for (auto& t : pollers) t.join();
    }
    for (const auto& p : placed) {
      if (!p.ok()) Fail("waiting for the placement: " + p.error().message);
    }
    samples.push_back(std::chrono::duration<double, std::milli>(*std::max_element(at.begin(), at.end()) - t0).count());
    std::vector<muster::Result<std::string>> joined(4, muster::Error::Internal("not joined"));
    {
      std::vector<std::thread> joins;  // together, as players do
      for (int i = 0; i < 4; ++i) {
        joins.emplace_back([&, i] {
          joined[i] = muster::client::JoinGameServer(placed[i]->ip_address, placed[i]->port,
                                                     muster::client::Transport::kTcp, placed[i]->player_session_id);
        });
      }
      for (auto& t : joins) t.join();
    }
    for (const auto& line : joined) {
      if (!line.ok()) Fail("joining the game server: " + line.error().message);
      if (line->rfind("WELCOME", 0) != 0) Fail("not welcomed by the game server: " + *line);
    }
    if ((m + 1) % 100 == 0) std::fprintf(stderr, "  %d/%d matches\n", m + 1, a.matches);
  }
  std::sort(samples.begin(), samples.end());
  std::printf("{\"matches\":%zu,\"poll_ms\":%d,\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f}\n",
              samples.size(), a.poll_ms, Quantile(samples, 0.5), Quantile(samples, 0.9), Quantile(samples, 0.99),
              samples.back());
  return 0;
}
