#pragma once
// Fleet state: computes, server processes, game sessions and player sessions, with their
// store row encodings (body = JSON of the struct, field names as on the management API).
//
// Thread safety: plain values.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/json.h"
#include "common/result.h"
#include "store/store.h"

namespace muster::fleet {

struct Compute {
  std::string fleet_id;
  std::string compute_name;
  std::string location;
  std::string ip_address;
  std::string dns_name;
  std::string auth_token;          // for the server socket (GetComputeAuthToken)
  Millis auth_token_expiry = 0;

  std::string Key() const { return fleet_id + "/" + compute_name; }
};

// Checks a connecting game server's auth token against its compute (nullptr: not registered):
// kForbidden for an unknown compute, kUnauthorized for a wrong or expired token.
Status CheckComputeToken(const Compute* compute, std::string_view fleet_id, std::string_view compute_name,
                         std::string_view token, Millis now);

// The key of a process: "<fleet>/<compute>/<pID>".
inline std::string ProcessKey(const std::string& fleet_id, const std::string& compute_name,
                              const std::string& process_id) {
  return fleet_id + "/" + compute_name + "/" + process_id;
}

enum class ProcessStatus { kConnected, kActive, kTerminated };
const char* ProcessStatusName(ProcessStatus s);

struct Process {
  std::string fleet_id;
  std::string compute_name;
  std::string process_id;          // pID chosen by the game server
  std::string location;
  std::string ip_address;
  std::string dns_name;
  int port = 0;
  ProcessStatus status = ProcessStatus::kConnected;
  bool healthy = true;
  Millis last_seen = 0;
  std::string game_session_id;     // the session it hosts, if any
  std::string sdk_version;
  std::string sdk_language;
  // Not durable: the live socket (0 when disconnected) and since when it reports unhealthy.
  std::uint64_t connection = 0;
  Millis unhealthy_since = 0;

  std::string Key() const { return ProcessKey(fleet_id, compute_name, process_id); }
  bool Available() const {
    return status == ProcessStatus::kActive && healthy && game_session_id.empty() && connection != 0;
  }
};

enum class GameSessionStatus { kActivating, kActive, kTerminating, kTerminated, kError };
const char* GameSessionStatusName(GameSessionStatus s);

enum class PlayerSessionStatus { kReserved, kActive, kCompleted, kTimedOut };
const char* PlayerSessionStatusName(PlayerSessionStatus s);
// A player session RESERVED or ACTIVE holds a slot of its game session.
inline bool HoldsSlot(PlayerSessionStatus s) {
  return s == PlayerSessionStatus::kReserved || s == PlayerSessionStatus::kActive;
}

struct PlayerSession {
  std::string player_session_id;   // psess-<uuid>
  std::string player_id;
  std::string game_session_id;
  std::string fleet_id;
  std::string player_data;
  PlayerSessionStatus status = PlayerSessionStatus::kReserved;
  Millis creation_time = 0;
  Millis termination_time = 0;
};

struct DesiredPlayer {
  std::string player_id;
  std::string player_data;
};

struct GameSession {
  std::string game_session_id;     // arn:aws:gamelift:<region>::gamesession/<fleet>/<id>
  std::string name;
  std::string fleet_id;
  std::string location;
  std::string process_key;
  std::string ip_address;
  std::string dns_name;
  int port = 0;
  int max_players = 0;
  GameSessionStatus status = GameSessionStatus::kActivating;
  std::string status_reason;
  Millis creation_time = 0;
  Millis activation_deadline = 0;
  Millis termination_time = 0;
  std::string placement_id;
  std::string matchmaker_data;
  std::string game_session_data;
  std::vector<std::pair<std::string, std::string>> game_properties;
  std::vector<DesiredPlayer> desired_players;  // player sessions to create on activation
  std::string player_session_policy = "ACCEPT_ALL";  // for player sessions created later
  std::vector<std::string> player_session_ids;
};

// Row encodings.
store::Row ComputeRow(const Compute& c, Millis now);
Result<Compute> ComputeFromRow(const store::Row& row);
store::Row ProcessRow(const Process& p, Millis now);
Result<Process> ProcessFromRow(const store::Row& row);
store::Row GameSessionRow(const GameSession& g, Millis now);
Result<GameSession> GameSessionFromRow(const store::Row& row);
store::Row PlayerSessionRow(const PlayerSession& s, Millis now);
Result<PlayerSession> PlayerSessionFromRow(const store::Row& row);

}  // namespace muster::fleet
