#pragma once
// The client's raw-socket steps: latency by UDP ping, and joining the game server.
//   Ping:  send "PING <nonce>" to host:port (UDP), expect "PONG <nonce>"; the median of
//          `samples` round trips, in whole milliseconds (at least 1).
//   Join:  connect over TCP or UDP, send the player session id as the first message (no
//          trailing newline), return the server's first reply line (without "\r\n").
//
// Thread safety: each call uses its own socket; safe from any thread. Blocking with deadlines.

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace muster::client {

enum class Transport { kTcp, kUdp };

// The median of the values (the lower middle one for an even count). REQUIRES: non-empty.
double Median(std::vector<double> values);

Result<int> MeasureLatencyMs(const std::string& host, std::uint16_t port, int samples = 3,
                             int timeout_ms = 1000);

Result<std::string> JoinGameServer(const std::string& host, std::uint16_t port, Transport transport,
                                   const std::string& player_session_id, int timeout_ms = 5000);

}  // namespace muster::client
