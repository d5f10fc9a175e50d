// muster-client: plays one game client end to end against a Muster endpoint and says each step.
//   identity -> credentials -> latencies -> matchmaking ticket -> placement -> join the server.
// Exit code 0 only when the game server's reply line starts with the welcome prefix.

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "sdk/client/muster_client.h"
#include "sdk/client/probes.h"
#include "sdk/client/url.h"

namespace {

using muster::client::LocationInfo;

constexpr const char* kUsage = R"(usage: muster-client [flags]

Plays one game client: gets a guest identity and temporary credentials, measures latency to each
location, asks for a game session, polls until placed (or, with --push, is told over a WebSocket),
connects to the game server and sends the player session id. Exits 0 only when the game server
welcomes the player.

flags:
  --endpoint URL          Muster endpoint (default http://127.0.0.1:8080)
  --pool ID               identity pool (default local:00000000-0000-0000-0000-000000000000)
  --region NAME           signing region (default local)
  --ping LOC=HOST:PORT    a location and its UDP ping endpoint; repeatable. Without any,
                          locations come from GET /v1/locations
  --transport tcp|udp     how to reach the game server (default tcp)
  --push                  the push flow: one signed WebSocket to /ws, every event pushed, no
                          polling (docs/push.md)
  --timeout-seconds N     overall time for placement and joining (default 60)
  --welcome-prefix TEXT   reply prefix that means "welcomed" (default WELCOME)
  --help                  this text
)";

struct Flags {
  std::string endpoint = "http://127.0.0.1:8080";
  std::string pool = "local:00000000-0000-0000-0000-000000000000";
  std::string region = "local";
  std::vector<LocationInfo> pings;
  muster::client::Transport transport = muster::client::Transport::kTcp;
  int timeout_seconds = 60;
  std::string welcome_prefix = "WELCOME";
  bool push = false;
};

int Usage(const std::string& error) {
  std::cerr << "muster-client: " << error << "\n\n" << kUsage;
  return 2;
}

void Step(const std::string& s) { std::cout << "==> " << s << std::endl; }
void Info(const std::string& s) { std::cout << "    " << s << std::endl; }
int Fail(const std::string& s) {
  std::cout << "FAILED: " << s << std::endl;
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    std::string value;
    auto eq = a.find('=');
    bool inline_value = a.rfind("--", 0) == 0 && eq != std::string::npos;
    if (inline_value) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    auto next = [&]() -> bool {
      if (inline_value) return true;
      if (i + 1 >= args.size()) return false;
      value = args[++i];
      return true;
    };
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--endpoint") {
      if (!next()) return Usage("--endpoint needs a URL");
      f.endpoint = value;
    } else if (a == "--pool") {
      if (!next()) return Usage("--pool needs an id");
      f.pool = value;
    } else if (a == "--region") {
      if (!next()) return Usage("--region needs a name");
      f.region = value;
    } else if (a == "--ping") {
      if (!next()) return Usage("--ping needs LOC=HOST:PORT");
      auto e = value.find('=');
      if (e == std::string::npos || e == 0) return Usage("--ping '" + value + "' is not LOC=HOST:PORT");
      auto hp = muster::client::ParseHostPort(value.substr(e + 1));
      if (!hp.ok()) return Usage("--ping: " + hp.error().message);
      f.pings.push_back({value.substr(0, e), hp->first, hp->second});
    } else if (a == "--transport") {
      if (!next()) return Usage("--transport needs tcp or udp");
      if (value == "tcp") f.transport = muster::client::Transport::kTcp;
      else if (value == "udp") f.transport = muster::client::Transport::kUdp;
      else return Usage("--transport must be tcp or udp, not '" + value + "'");
    } else if (a == "--timeout-seconds") {
      if (!next()) return Usage("--timeout-seconds needs a number");
      char* end = nullptr;
      long n = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || n < 1 || n > 3600) {
        return Usage("--timeout-seconds must be 1..3600, not '" + value + "'");
      }
      f.timeout_seconds = static_cast<int>(n);
    } else if (a == "--push") {
      f.push = true;
    } else if (a == "--welcome-prefix") {
      if (!next()) return Usage("--welcome-prefix needs text");
      f.welcome_prefix = value;
    } else {
      return Usage("unknown argument '" + args[i] + "'");
    }
  }

  auto endpoint = muster::client::ParseEndpoint(f.endpoint);
  if (!endpoint.ok()) return Usage(endpoint.error().message);
  muster::client::ClientOptions opts;
  opts.endpoint = *endpoint;
  opts.pool_id = f.pool;
  opts.region = f.region;
  muster::client::MusterClient client(opts);

  Step("identity: GetId + GetCredentialsForIdentity at " + f.endpoint);
  if (auto st = client.Login(); !st.ok()) return Fail(st.error().message);
  Info("identity " + client.identity_id() + ", access key " + client.credentials().access_key_id);

  if (f.pings.empty()) {
    Step("locations: GET /v1/locations");
    auto locs = client.FetchLocations();
    if (!locs.ok()) return Fail(locs.error().message + " (or pass --ping LOC=HOST:PORT)");
    f.pings = *locs;
  }
  Step("latency: UDP ping, median of 3");
  std::vector<muster::client::LocationLatency> latencies;
  for (const LocationInfo& l : f.pings) {
    if (l.ping_port == 0) {
      Info(l.location + ": no ping endpoint, skipped");
      continue;
    }
    auto ms = muster::client::MeasureLatencyMs(l.ping_host, l.ping_port, 3, 1000);
    if (!ms.ok()) {
      Info(l.location + ": " + ms.error().message + ", skipped");
      continue;
    }
    Info(l.location + ": " + std::to_string(*ms) + " ms");
    latencies.push_back({l.location, *ms});
  }

  muster::Result<muster::client::Placement> placed = muster::Error::Internal("not started");
  if (f.push) {
    Step("matchmaking over a WebSocket: /ws, startMatchmaking, events pushed");
    placed = client.MatchOverPush(latencies, f.timeout_seconds * 1000, [](const std::string& s) { Info(s); });
  } else {
    Step("matchmaking: GET /requestmatchmaking");
    auto ticket = client.RequestMatchmaking(latencies);
    if (!ticket.ok()) return Fail(ticket.error().message);
    Info("ticket " + *ticket);
    Step("placement: polling GET /requestmatchstatus");
    placed = client.WaitForPlacement(*ticket, f.timeout_seconds * 1000, {}, [](const std::string& s) { Info(s); });
  }
  if (!placed.ok()) return Fail(placed.error().message);
  std::string host = placed->ip_address.empty() ? placed->dns_name : placed->ip_address;
  Info("placed on " + host + ":" + std::to_string(placed->port) + ", player session " +
       placed->player_session_id);

  Step(std::string("join: ") + (f.transport == muster::client::Transport::kTcp ? "tcp" : "udp") +
       " " + host + ":" + std::to_string(placed->port));
  auto reply = muster::client::JoinGameServer(host, placed->port, f.transport,
                                              placed->player_session_id, 10000);
  if (!reply.ok()) return Fail(reply.error().message);
  std::cout << "server: " << *reply << std::endl;
  if (reply->rfind(f.welcome_prefix, 0) != 0) {
    return Fail("the game server did not welcome the player");
  }
  Step("welcomed");
  return 0;
}
