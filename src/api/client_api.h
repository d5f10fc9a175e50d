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
#include "api/player_tickets.h"
#include "net/http_server.h"
#include "node/node.h"

namespace muster::identity {
class IdentityService;
class PlayerDataService;
}  // namespace muster::identity

namespace muster::api {

// The polling flow's options are the ticket operations' (player_tickets.h).
using ClientApiOptions = PlayerTicketsOptions;

class ClientApi {
 public:
  ClientApi(node::Node& node, identity::IdentityService& identities,
            identity::PlayerDataService& players, const Clock& clock, ClientApiOptions options);

  // Returns true when the request is for this API; it is then answered through `respond`: at once
  // (status reads, bad requests) or from the node's thread (the routes that start a ticket from
  // the commit's completion).
  bool Handle(const net::HttpRequest& request, const net::Responder& respond);

  // The ticket operations, shared with the push flow's gateway (same limits).
  PlayerTickets& tickets() { return tickets_; }

 private:
  void RequestMatchmaking(const std::string& identity, const std::string& address, const std::string& query,
                          const net::Responder& respond);
  net::HttpResponse RequestMatchStatus(const std::string& identity, const std::string& query);
  void NativeStart(const std::string& identity, const std::string& address, const std::string& body,
                   const net::Responder& respond);
  void NativeAccept(const std::string& identity, const std::string& ticket_id, const std::string& body,
                    const net::Responder& respond);
  net::HttpResponse Locations();

  node::Node& node_;
  PlayerTickets tickets_;
};

// A JSON error response: {"error": "<code name>", "message": "..."} with the code's HTTP status.
net::HttpResponse ErrorResponse(const Error& error);
net::HttpResponse JsonResponse(int status, const json::value& body);
// The player's ticket (PlayerTicketJson) with `status`, or its error.
net::HttpResponse TicketResponse(const Result<matchmaking::Ticket>& t, int status = 200);

// Parses "<loc>_<ms>_<loc>_<ms>..." (location names contain no '_').
Result<std::map<std::string, int>> ParseLatencies(std::string_view text, int max_ms);

}  // namespace muster::api
