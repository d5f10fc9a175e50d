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
// Thread safety: plain values.

#include <string>
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

using Notice = std::variant<GameSessionActivated, GameSessionFailed, GameSessionEnded, PlacementFulfilled,
                            PlacementEnded, MatchmakingEvent>;

// "fleet", "placement" or "matchmaking".
const char* TopicOf(const Notice& n);
const char* PlacementEndedType(PlacementEnded::Kind k);  // "PlacementTimedOut", ...

}  // namespace muster::core
