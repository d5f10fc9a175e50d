#pragma once
// Typed events between the cores. A core that decides something another core must react to
// returns one of these in Effects::notices; the bus hands it to the subscribers of its topic. The
// events that also leave the node are written to the outbox as JSON by event_codec.h (one codec,
// the shapes of WIRE.md §5), and read back from it into these same types by the dispatcher.
//
//   topic "fleet"        GameSessionActivated, GameSessionFailed, GameSessionEnded (not durable:
//                        the game session rows are)
//   topic "placement"    PlacementFulfilled, PlacementEnded   (outbox: the detail of a
//                        "GameLift Queue Placement Event")
//   topic "matchmaking"  MatchmakingEvent                     (outbox: the whole
//                        "GameLift Matchmaking Event" envelope)
//
// Requests of matchmaking to the server side (in memory only: the tickets' rows, PLACING, are
// what is durable; a placement's row and its outcome events answer them):
//   topic "placement-requests"  PlacementRequested, BackfillRequested, PlacementStopRequested
//                               (answered by PlacementFulfilled or PlacementEnded; a request the
//                               placement core refuses ends as PlacementEnded kFailed)
//   topic "fleet-requests"      BackfillStatus (tells a game server how its backfill ended)
//   topic "placement-repeats"   PlacementRepeated (a request sent again after a (re)load)
//
// Thread safety: plain values.

#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/json.h"

namespace muster::core {

struct PlayerSessionRef {
  std::string player_id;
  std::string player_session_id;
  bool operator==(const PlayerSessionRef&) const = default;
};

// Where the players of a game session connect.
struct Endpoint {
  std::string game_session_arn;
  std::string ip_address;
  std::string dns_name;
  int port = 0;
  std::string location;
  bool operator==(const Endpoint&) const = default;
};

// A game session reached ACTIVE: its players' sessions are reserved.
struct GameSessionActivated {
  std::string placement_id;
  Endpoint endpoint;
  std::vector<PlayerSessionRef> player_sessions;
};

// A game session that was ACTIVATING ended (its process failed or timed out before activating).
struct GameSessionFailed {
  std::string placement_id;
  std::string game_session_arn;
  std::string reason;
};

// An ACTIVE game session ended.
struct GameSessionEnded {
  std::string placement_id;
  std::string game_session_arn;
  std::string reason;
};

// A placement (or a backfill into a running session) put its players on a game session.
struct PlacementFulfilled {
  std::string placement_id;
  Endpoint endpoint;
  std::vector<PlayerSessionRef> placed_player_sessions;
};

// A placement ended without a game session.
struct PlacementEnded {
  enum class Kind { kTimedOut, kCancelled, kFailed };
  Kind kind = Kind::kFailed;
  std::string placement_id;
  std::string reason;
};

// A matchmaking event of WIRE.md §5 for the tickets it names. `body` is the whole event as it
// leaves the node (JSON text); the other fields are read from it for routing.
struct MatchmakingEvent {
  std::string type;                     // detail.type, e.g. "MatchmakingSucceeded"
  std::vector<std::string> ticket_ids;
  std::vector<std::string> player_ids;  // of every ticket, in ticket order
  std::string body;
};

// A player to place, with its latency to each location (ms).
struct PlayerRequest {
  std::string player_id;
  std::string player_data;
  std::map<std::string, int> latency_ms;
};

// What a placement asks for: a new game session through a queue (WIRE.md §2).
struct PlacementRequest {
  std::string placement_id;
  std::string queue_name;
  std::string game_session_name;
  int max_players = 0;
  std::vector<PlayerRequest> players;
  std::string matchmaker_data;
  std::string game_session_data;
  std::vector<std::pair<std::string, std::string>> game_properties;
};

// A match to place: answered by PlacementFulfilled or PlacementEnded with its placement id.
struct PlacementRequested {
  PlacementRequest request;
};

// A backfill match: its players join a running game session at once (answered like a placement).
struct BackfillRequested {
  std::string placement_id;
  std::string game_session_arn;
  std::vector<PlayerRequest> players;
  std::string matchmaker_data;
  std::string backfill_ticket_id;
};

// A match's request sent again: after a (re)load, for a match whose tickets are PLACING and whose
// placement is not pending. The placement may have been made and ended (its outcome is answered
// again from the store), or never made (it is started now). Handled by the shell, which reads the
// store (node/repeats.h).
struct PlacementRepeated {
  PlacementRequest request;
};

// A match whose tickets ended while it was being placed: its placement is cancelled if it is
// still pending (nothing otherwise).
struct PlacementStopRequested {
  std::string placement_id;
};

// A backfill ticket ended: its game server hears `reason` (BACKFILL_FAILED, BACKFILL_TIMED_OUT,
// BACKFILL_CANCELLED) in UpdateGameSession, if the session still runs.
struct BackfillStatus {
  std::string game_session_arn;
  std::string reason;
  std::string backfill_ticket_id;
};

using Notice = std::variant<GameSessionActivated, GameSessionFailed, GameSessionEnded, PlacementFulfilled,
                            PlacementEnded, MatchmakingEvent, PlacementRequested, BackfillRequested,
                            PlacementStopRequested, BackfillStatus, PlacementRepeated>;

// "fleet", "placement", "matchmaking", "placement-requests", "fleet-requests" or
// "placement-repeats".
const char* TopicOf(const Notice& n);
const char* PlacementEndedType(PlacementEnded::Kind k);  // "PlacementTimedOut", ...

}  // namespace muster::core
