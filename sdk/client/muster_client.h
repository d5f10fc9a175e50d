#pragma once
// muster::client: what a game client does to get into a game, against Muster (or the managed
// service's identity + API gateway sample backend):
//   1. Login: identity API GetId (guest) and GetCredentialsForIdentity (POST /, awsJson1_1).
//   2. Measure latencies: UDP ping per location (probes.h), or locations from GET /v1/locations.
//   3. GET /requestmatchmaking?latencies=... (SigV4, service execute-api) -> ticket.
//   4. GET /requestmatchstatus?ticketId=... with back-off until PlayerSessionId != "NotPlacedYet"
//      or a terminal error.
//   5. JoinGameServer (probes.h) with the player session id.
// Or, for steps 3 and 4, the push flow (docs/push.md): MatchOverPush opens a presigned WebSocket
// to /ws, starts matchmaking on it and waits for the event that places the player, never polling.
//
// Thread safety: one MusterClient per thread (it keeps the identity and credentials).

#include <functional>
#include <string>
#include <vector>

#include "auth/sigv4.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/result.h"
#include "sdk/client/backoff.h"
#include "sdk/client/http.h"
#include "sdk/client/url.h"

namespace muster::client {

struct ClientOptions {
  Endpoint endpoint;
  std::string pool_id;          // "local:00000000-0000-0000-0000-000000000000"
  std::string region = "local";
  int http_timeout_ms = 10000;
  // When the configuration asks players to accept a proposed match (REQUIRES_ACCEPTANCE),
  // WaitForPlacement accepts it for this player (POST /v1/matchmaking/<id>/accept).
  bool accept_matches = true;
};

struct LocationInfo {
  std::string location;
  std::string ping_host;
  std::uint16_t ping_port = 0;
};

struct Placement {
  std::string ip_address;
  std::string dns_name;
  std::uint16_t port = 0;
  std::string player_session_id;
};

class MusterClient {
 public:
  explicit MusterClient(ClientOptions options, const Clock& clock = SystemClock::Instance());

  // GetId then GetCredentialsForIdentity. Errors carry the service's __type and message.
  Status Login();
  const std::string& identity_id() const { return identity_id_; }
  const auth::Credentials& credentials() const { return credentials_; }
  Millis credentials_expiration() const { return expiration_; }

  // The signed request as it would be sent (exposed for tests and debugging).
  auth::SignableRequest BuildSigned(const std::string& method, const std::string& path,
                                    const std::string& query, const std::string& body) const;
  Result<HttpResponse> SignedCall(const std::string& method, const std::string& path,
                                  const std::string& query, const std::string& body = "");

  // GET /v1/locations -> {"Locations":[{"Location","PingEndpoint":"host:port"}]}
  Result<std::vector<LocationInfo>> FetchLocations();

  // GET /requestmatchmaking; returns the TicketId of the ticket JSON.
  Result<std::string> RequestMatchmaking(const std::vector<LocationLatency>& latencies);

  // Polls /requestmatchstatus until placed, a terminal error, or timeout_ms. `on_poll` (optional)
  // hears each poll's outcome in one line. Sleeps between polls per the back-off policy. A
  // proposed match awaiting acceptance is accepted once (see ClientOptions::accept_matches).
  Result<Placement> WaitForPlacement(const std::string& ticket_id, int timeout_ms,
                                     BackoffPolicy policy = {},
                                     const std::function<void(const std::string&)>& on_poll = {});

  // "/ws?<presigned query>": the push gateway's URL target signed with the credentials (with a
  // random signed nonce, so that each is unique: a signature opens one connection only).
  std::string PresignedPushTarget(int expires_seconds = 60) const;

  // The push flow: opens the WebSocket, sends startMatchmaking with the latencies, and reads the
  // events of the ticket until MatchmakingSucceeded gives the placement (a proposed match is
  // accepted as WaitForPlacement does), a terminal event (kConflict with its reason), or
  // timeout_ms (kUnavailable). `on_message` hears each message as one line.
  Result<Placement> MatchOverPush(const std::vector<LocationLatency>& latencies, int timeout_ms,
                                  const std::function<void(const std::string&)>& on_message = {});

 private:
  Result<json::object> IdentityCall(const std::string& op, const json::object& body);

  ClientOptions options_;
  const Clock& clock_;
  std::string identity_id_;
  auth::Credentials credentials_;
  Millis expiration_ = 0;
};

// Parses a /requestmatchstatus body: a Placement whose player_session_id is "NotPlacedYet" while
// not placed; kConflict with the reason for a terminal "Status" (FAILED, CANCELLED, TIMED_OUT);
// kInvalidArgument for a malformed body.
Result<Placement> ParseMatchStatus(std::string_view body);

// Parses GET /v1/locations.
Result<std::vector<LocationInfo>> ParseLocations(std::string_view body);

}  // namespace muster::client
