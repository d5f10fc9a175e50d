#pragma once
// The client API: signed (SigV4, service execute-api) requests of game clients.
//
// Compatible routes (WIRE.md §4; any path prefix, e.g. a stage name "/Prod", is accepted):
//   GET <base>/requestmatchmaking?latencies=<loc>_<ms>_<loc>_<ms>   → MatchmakingTicket JSON
//   GET <base>/requestmatchstatus?ticketId=<id>
//       → {"IpAddress","Port","PlayerSessionId","DnsName"}; "NotPlacedYet"/""/0 until placed.
//         The ticket's status is in the X-Muster-Ticket-Status response header.
// Native routes (docs/client-api.md):
//   POST   /v1/matchmaking              {"latencies": {"<loc>": ms}}  → ticket
//   GET    /v1/matchmaking/<ticketId>                                 → ticket
//   DELETE /v1/matchmaking/<ticketId>                                 → ticket (CANCELLED)
//   POST   /v1/matchmaking/<ticketId>/accept {"accept": true|false}   → ticket (acceptance step)
//   GET    /v1/locations (unsigned) → {"Locations":[{"Location","PingEndpoint"}]}
//
// The player is the identity whose credentials signed the request. Skill and other attributes
// come from the player data table, never from the client. A client reads and cancels only its own
// tickets.
//
// Threads: Handle runs on the connection's loop, and is safe from several loops at once: it checks
// the signature there (credential view), answers the status reads there (ticket view), parses
// bodies and applies the rate limits there, and posts only the node's part of the other routes to
// its owner: the tickets' routes to the thread of their configuration's matchmaking side
// (Node::RunOnConfiguration, RunOnTicket), the locations to the node's thread (Node::RunOnOwner); their answers come from there.

#include <functional>
#include <string>

#include "common/clock.h"
#include "common/rate_limiter.h"
#include "net/http_server.h"
#include "node/node.h"

namespace muster::identity {
class IdentityService;
class PlayerDataService;
}  // namespace muster::identity

namespace muster::api {

struct ClientApiOptions {
  std::string configuration = "demo-2v2";  // configuration the client routes use
  std::string region;                      // the node's region; empty accepts any (tests only)
  Millis max_skew_ms = 5 * 60 * 1000;
  int max_latency_ms = 60'000;
  // New tickets per player, and per client address (IPv6: per /64) whatever the players behind it
  // (so that identities made in turn cannot multiply the first); 429 LimitExceeded beyond.
  RateLimit tickets_per_player{30, 10};
  RateLimit tickets_per_address{300, 100};
};

class ClientApi {
 public:
  ClientApi(node::Node& node, identity::IdentityService& identities,
            identity::PlayerDataService& players, const Clock& clock, ClientApiOptions options);

  // Returns true when the request is for this API; it is then answered through `respond`: at once
  // (status reads, bad requests) or from the node's thread (the routes that start a ticket from
  // the commit's completion).
  bool Handle(const net::HttpRequest& request, const net::Responder& respond);


 private:
  Result<std::string> Authenticate(const net::HttpRequest& request);
  void RequestMatchmaking(const std::string& identity, const std::string& address, const std::string& query,
                          const net::Responder& respond);
  net::HttpResponse RequestMatchStatus(const std::string& identity, const std::string& query);
  void NativeStart(const std::string& identity, const std::string& address, const std::string& body,
                   const net::Responder& respond);
  void NativeAccept(const std::string& identity, const std::string& ticket_id, const std::string& body,
                    const net::Responder& respond);
  net::HttpResponse NativeGet(const std::string& identity, const std::string& ticket_id);
  void NativeCancel(const std::string& identity, const std::string& ticket_id, const net::Responder& respond);
  net::HttpResponse Locations();
  void Start(const std::string& identity, const std::string& address, std::map<std::string, int> latencies,
             node::Tickets::TicketDone done);
  // Rate limits and stored player data: the player a new ticket is for (any thread).
  Result<matchmaking::PlayerInput> StartingPlayer(const std::string& identity, const std::string& address,
                                                  std::map<std::string, int> latencies);
  // Whether the configuration's queue reaches every location given (node's thread).
  Status CheckLocations(const std::map<std::string, int>& latencies) const;
  Result<matchmaking::Ticket> OwnTicket(const std::string& identity, const std::string& ticket_id);

  node::Node& node_;
  identity::IdentityService& identities_;
  identity::PlayerDataService& players_;
  const Clock& clock_;
  ClientApiOptions options_;
  RateLimiter ticket_limiter_;
  RateLimiter address_ticket_limiter_;
};

// A JSON error response: {"error": "<code name>", "message": "..."} with the code's HTTP status.
net::HttpResponse ErrorResponse(const Error& error);
net::HttpResponse JsonResponse(int status, const json::value& body);

// Parses "<loc>_<ms>_<loc>_<ms>..." (location names contain no '_').
Result<std::map<std::string, int>> ParseLatencies(std::string_view text, int max_ms);

}  // namespace muster::api
