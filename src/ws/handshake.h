#pragma once
// The opening handshake of RFC 6455 §4.2, server side: checks an upgrade request's headers and
// builds the 101 answer. No extension (permessage-deflate) and no subprotocol is ever agreed:
// a client that offers them gets a connection without them, as §9.1 and §4.2.2 allow.
//
// Thread safety: pure functions.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace muster::ws {

// The request's parts the handshake reads. Header values of repeated fields are joined with ",".
struct UpgradeRequest {
  std::string_view method;
  std::string_view upgrade;      // Upgrade
  std::string_view connection;   // Connection
  std::string_view key;          // Sec-WebSocket-Key
  std::string_view version;      // Sec-WebSocket-Version
};

// Why an upgrade is refused: the HTTP status (400, or 426 with `Sec-WebSocket-Version: 13` when
// the version is not 13, or 426 with `Upgrade: websocket` for a request that is not an upgrade),
// extra headers, and a sentence for the JSON body.
struct HandshakeRefusal {
  int status = 400;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string message;
};

// Empty when the request is a valid WebSocket upgrade.
std::optional<HandshakeRefusal> CheckUpgrade(const UpgradeRequest& req);

// True when the request asks for a WebSocket at all (Upgrade: websocket), valid or not.
bool IsUpgrade(std::string_view upgrade_header);

// Sec-WebSocket-Accept for a key: base64(SHA-1(key + the RFC's GUID)).
std::string AcceptKey(std::string_view key);

// The 101 response, ready to write.
std::string SwitchingProtocols(std::string_view key);

// Whether a comma-separated header value holds `token` (case-insensitive, blanks trimmed).
bool HasToken(std::string_view value, std::string_view token);

}  // namespace muster::ws
