#pragma once
// What a player may do with its own tickets, for both client flows: the polling flow's HTTP
// routes (client_api.h) and the push flow's WebSocket actions (push_gateway.h), so that both
// check the same limits and read the same data.
//
// The player is an identity the caller proved: a SigV4 signature of the identity's temporary
// credentials (service execute-api, header or presigned query form) or, for a WebSocket, a
// bearer OpenID token from GetOpenIdToken (Authenticate). Skill and other attributes come from
// the player data table, never from the client. A player reads, cancels and accepts only its own
// tickets; another player's ticket answers exactly as an unknown one.
//
// Threads: every method is safe from any thread (a connection's loop). Authenticate and Get read
// memory views (credentials, tickets); Start, Cancel and Accept post the node's part to the
// thread of the configuration's or ticket's matchmaking side and call `done` from there, once
// the ticket's change is durable (or refused).

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/json.h"
#include "common/rate_limiter.h"
#include "net/http_server.h"
#include "node/node.h"

namespace muster::identity {
class IdentityService;
class PlayerDataService;
}  // namespace muster::identity

namespace muster::api {

struct PlayerTicketsOptions {
  std::string configuration = "demo-2v2";  // configuration the client routes use
  // Further configurations a client may name (the push flow's startMatchmaking); any other
  // answers kNotFound, as an unknown one, so clients cannot reach the backend's own ones.
  std::vector<std::string> client_configurations;
  std::string region;                      // the node's region; empty accepts any (tests only)
  Millis max_skew_ms = 5 * 60 * 1000;
  int max_latency_ms = 60'000;
  // New tickets per player, and per client address (IPv6: per /64) whatever the players behind it
  // (so that identities made in turn cannot multiply the first); 429 LimitExceeded beyond.
  RateLimit tickets_per_player{30, 10};
  RateLimit tickets_per_address{300, 100};
};

class PlayerTickets {
 public:
  PlayerTickets(node::Node& node, identity::IdentityService& identities, identity::PlayerDataService& players,
                const Clock& clock, PlayerTicketsOptions options);

  struct Authenticated {
    std::string identity;
    std::string signature;   // the SigV4 signature checked (empty for a bearer token)
    Millis valid_until = 0;  // when the signed request stops being valid
    int presigned_expires_seconds = 0;  // X-Amz-Expires of a presigned URL (0: header form, token)
  };
  // The identity that signed `request` (SigV4, execute-api, either form). With `allow_bearer`,
  // also `Authorization: Bearer <OpenID token>`. kUnauthorized / kForbidden with the reason.
  Result<Authenticated> Authenticate(const net::HttpRequest& request, bool allow_bearer = false);

  using TicketDone = node::Tickets::TicketDone;
  // A new ticket for the player in `configuration` (empty: the default), with its latencies.
  void Start(const std::string& identity, const std::string& address, const std::string& configuration,
             std::map<std::string, int> latencies, TicketDone done);
  void Cancel(const std::string& identity, const std::string& ticket_id, TicketDone done);
  // The player's answer to a proposed match; `done` gets the ticket after it.
  void Accept(const std::string& identity, const std::string& ticket_id, bool accept, TicketDone done);
  // The player's own ticket (kNotFound for an unknown one or another player's).
  Result<matchmaking::Ticket> Get(const std::string& identity, const std::string& ticket_id);

  const PlayerTicketsOptions& options() const { return options_; }
  node::Node& node() { return node_; }

 private:
  // Rate limits and stored player data: the player a new ticket is for (any thread).
  Result<matchmaking::PlayerInput> StartingPlayer(const std::string& identity, const std::string& address,
                                                  std::map<std::string, int> latencies);
  // Whether the configuration's queue reaches every location given (its side's thread).
  Status CheckLocations(const std::string& configuration, const std::map<std::string, int>& latencies) const;

  node::Node& node_;
  identity::IdentityService& identities_;
  identity::PlayerDataService& players_;
  const Clock& clock_;
  PlayerTicketsOptions options_;
  RateLimiter ticket_limiter_;
  RateLimiter address_ticket_limiter_;
};

// Latencies {"<location>": ms} (the value at `path` of a request; null: none), each a whole
// number from 0 to max_ms, at most 64 locations; kInvalidArgument naming the bad entry.
Result<std::map<std::string, int>> LatenciesFromJson(const json::value* latencies, const std::string& path, int max_ms);

// A ticket as the native client routes and the push flow's replies show it to its player.
json::object PlayerTicketJson(const matchmaking::Ticket& t);

}  // namespace muster::api
