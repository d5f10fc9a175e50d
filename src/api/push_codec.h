#pragma once
// The push flow's messages (docs/push.md): what a client sends on its WebSocket, what the
// gateway answers, and the matchmaking events as one player may see them.
//
// Client → gateway, one JSON object per text message, routed by its "action" (the managed
// gateway's route selection expression `$request.body.action`):
//   {"action":"startMatchmaking", "configuration"?: name, "latencies"?: {"<loc>": ms}}
//   {"action":"stopMatchmaking", "ticketId": id}
//   {"action":"acceptMatch", "ticketId": id, "accept": bool}
//   {"action":"describeTicket", "ticketId": id}
//   {"action":"ping"}
// each with an optional "requestId" (≤ 64 characters) that the answer repeats.
// Gateway → client:
//   {"type":"reply","action":…,"requestId"?:…,"ticket":{…}}        (ping: "type":"pong","time")
//   {"type":"error","action"?:…,"requestId"?:…,"error":{"code","message"}}
//   the matchmaking events of WIRE.md §5 ("detail-type":"GameLift Matchmaking Event"), cut to
//   what concerns the player (EventForPlayer).
//
// Thread safety: pure functions.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/json.h"
#include "common/result.h"

namespace muster::api {

enum class PushAction { kStartMatchmaking, kStopMatchmaking, kAcceptMatch, kDescribeTicket, kPing };
const char* PushActionName(PushAction action);

struct PushRequest {
  PushAction action = PushAction::kPing;
  std::string request_id;
  std::string configuration;  // startMatchmaking; empty: the gateway's default
  std::map<std::string, int> latencies;
  std::string ticket_id;      // stop, accept, describe
  bool accept = false;        // acceptMatch
};

// A message that could not be read, with what of it could (for the error's "action" and
// "requestId").
struct PushRequestError {
  std::string action;
  std::string request_id;
  Error error;  // kInvalidArgument naming the field; kNotFound for an unknown action
};

inline constexpr std::size_t kMaxPushMessageBytes = 16 * 1024;

std::variant<PushRequest, PushRequestError> ParsePushRequest(std::string_view text, int max_latency_ms);

// {"type":"reply","action","requestId"?,"ticket"}.
std::string PushTicketReply(PushAction action, const std::string& request_id, const json::object& ticket);
// {"type":"pong","requestId"?,"time"}.
std::string PushPong(const std::string& request_id, std::string_view time);
// {"type":"error","action"?,"requestId"?,"error":{"code","message"}}.
std::string PushError(std::string_view action, const std::string& request_id, const Error& error);

// The event as `player_id` may see it: only the tickets that hold the player in
// detail.tickets, and only the player's own entry in gameSessionInfo.players (another player's
// playerSessionId would let its holder take that player's seat). Nullopt when the event does
// not name the player or is not a matchmaking event.
std::optional<std::string> EventForPlayer(std::string_view event_json, std::string_view player_id);

}  // namespace muster::api
