#pragma once
// What muster-load sends, per mode:
//   start     management StartMatchmaking (awsJson1_1, SigV4 "gamelift", admin credentials), a
//             new player per ticket;
//   describe  management DescribeMatchmaking of tickets started during set-up;
//   request   GET /requestmatchmaking signed by guests (SigV4 "execute-api", temporary
//             credentials from the identity API); a player holds one live ticket at a time, so
//             each guest cancels its ticket (DELETE /v1/matchmaking/<id>) before its next one;
//   status    GET /requestmatchstatus?ticketId=... signed by the guest owning the ticket.
// Every request is signed when it is sent (the signature's time is now), so runs of any length
// stay inside the server's clock-skew window.
//
// Thread safety: one Workload per engine thread; the Setup it reads is shared read-only.

#include <memory>
#include <string>
#include <vector>

#include "auth/sigv4.h"
#include "tools/load/engine.h"

namespace muster::load {

struct Guest {
  std::string identity_id;
  auth::Credentials credentials;
  std::string ticket_id;  // status: the guest's ticket
};

struct Setup {
  std::string mode;         // start | describe | request | status
  std::string host_header;  // Host, e.g. "127.0.0.1:8080"
  std::string region = "local";
  std::string configuration;
  auth::Credentials admin;
  std::string request_query;  // request: e.g. "latencies=custom-local-a_20"
  std::vector<Guest> guests;
  std::vector<std::string> ticket_ids;  // describe
};

// The modes and the kinds of request each sends (for the report).
bool KnownMode(const std::string& mode);
std::vector<std::string> KindNames(const std::string& mode);

// The workload of engine thread `thread` of `threads`, which has `connections` connections
// (guests and tickets are split between the threads; request needs a guest per connection).
std::unique_ptr<Workload> MakeWorkload(const Setup& setup, int thread, int threads, std::size_t connections);

// The bytes of a signed request as sent on the wire.
std::string Serialize(const auth::SignableRequest& r);
// A management API request (POST /, X-Amz-Target GameLift.<operation>) signed now.
auth::SignableRequest ManagementRequest(const Setup& s, const std::string& operation,
                                        const std::string& body);

}  // namespace muster::load
