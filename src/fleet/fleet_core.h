#pragma once
// The fleet core: computes, server processes and the game session / player session lifecycles of
// WIRE.md §1, as a deterministic state machine. The server socket shell decodes frames and calls
// the matching method with the process key it authenticated; placement asks for available
// processes and starts game sessions. Every method returns Effects (store writes, pushes to game
// servers, notices to placement); the core itself does no I/O and reads time and random ids only from its Env.
//
// Notices (topic "fleet", core/events.h): GameSessionActivated, GameSessionFailed (it never
// activated), GameSessionEnded.
//
// Thread safety: none; one owner thread.

#include <cstdint>
#include <map>
#include <queue>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "common/env.h"
#include "bus/bus.h"
#include "common/result.h"
#include "core/effects.h"
#include "fleet/model.h"

namespace muster::fleet {

struct FleetOptions {
  std::string region = "local";
  Millis heartbeat_timeout_ms = 3 * 70'000;   // three missed heartbeats (60 s ± 10 s each)
  Millis reserved_timeout_ms = 60'000;        // RESERVED player session not accepted → TIMEDOUT
  Millis activation_timeout_ms = 60'000;      // ACTIVATING game session not activated → ERROR
  int max_players_per_session = 200;
};

// Where a game session's players connect, as the events carry it.
core::Endpoint EndpointOf(const GameSession& gs);

struct GameSessionSpec {
  std::string placement_id;
  std::string name;
  int max_players = 0;
  std::vector<DesiredPlayer> players;
  std::string matchmaker_data;
  std::string game_session_data;
  std::vector<std::pair<std::string, std::string>> game_properties;
};

struct LocationEndpoint {
  std::string location;
  std::string ip_address;
  int port = 0;
};

class FleetCore {
 public:
  FleetCore(const Env& env, FleetOptions options);

  // --- set-up and recovery -------------------------------------------------------------------
  // Registers (or replaces) a compute; its auth token authenticates server socket connections.
  core::Effects PutCompute(Compute compute);
  // Restores state read from the store after a restart. Processes come back disconnected; they
  // are usable again when their game server reconnects (the SDK reconnects with the same pID).
  void Restore(std::vector<Compute> computes, std::vector<Process> processes,
               std::vector<GameSession> sessions, std::vector<PlayerSession> players);

  // --- server socket -------------------------------------------------------------------------
  // Checks the token of a connecting game server against its compute.
  Status Authenticate(std::string_view fleet_id, std::string_view compute_name,
                      std::string_view token) const;
  // A game server connected (or reconnected) as process pID. Returns the process key through
  // `key`. On reconnect an ACTIVATING session it was given is pushed again.
  Result<core::Effects> Connect(std::uint64_t connection, const std::string& fleet_id,
                                const std::string& compute_name, const std::string& process_id,
                                std::string* key);
  // The socket closed. The process stays until its heartbeat deadline passes.
  void Disconnect(std::uint64_t connection, const std::string& key);
  // After the node reloaded from the store: the socket of restored process `key` is still open.
  void Reattach(std::uint64_t connection, const std::string& key);

  Result<core::Effects> ActivateServerProcess(const std::string& key, int port,
                                              const std::string& sdk_version,
                                              const std::string& sdk_language);
  Result<core::Effects> Heartbeat(const std::string& key, bool healthy);
  Result<core::Effects> ActivateGameSession(const std::string& key, const std::string& gs_id);
  Result<core::Effects> AcceptPlayerSession(const std::string& key, const std::string& gs_id,
                                            const std::string& ps_id);
  Result<core::Effects> RemovePlayerSession(const std::string& key, const std::string& gs_id,
                                            const std::string& ps_id);
  Result<core::Effects> TerminateServerProcess(const std::string& key);
  // ACCEPT_ALL or DENY_ALL for new player sessions of a hosted game session.
  Result<core::Effects> UpdatePlayerSessionCreationPolicy(const std::string& key, const std::string& gs_id,
                                                          const std::string& policy);

  // Applies every timeout due at the clock's now.
  core::Effects Tick();
  // Timeouts waiting (for tests: bounded by the processes and sessions that can time out).
  std::size_t PendingDeadlines() const { return deadlines_.size(); }

  // --- placement -------------------------------------------------------------------------------
  // Processes of `fleet_id` in `location` that can take a new game session now, oldest first.
  // Looks only at that location's processes.
  std::vector<const Process*> Available(const std::string& fleet_id,
                                        const std::string& location) const;
  // Moves whenever a process changed (it was written, connected again or restored), which
  // includes every change that may free capacity: placement retries waiting requests only when
  // it moved. (It also moves when capacity is taken; that only costs a retry.)
  std::uint64_t capacity_epoch() const { return capacity_epoch_; }
  // Creates an ACTIVATING game session on the process and pushes CreateGameSession.
  Result<core::Effects> StartGameSession(const std::string& process_key, GameSessionSpec spec,
                                         std::string* game_session_id);

  // --- backfill ------------------------------------------------------------------------------
  // Reserves player sessions for `players` in an ACTIVE game session that accepts new players and
  // has room, replaces its MatchmakerData, and pushes UpdateGameSession (MATCHMAKING_DATA_UPDATED,
  // with the backfill ticket id) to its process. `placed` receives (player id, player session id).
  Result<core::Effects> AddPlayers(const std::string& gs_id, const std::vector<DesiredPlayer>& players,
                                   std::string matchmaker_data, const std::string& backfill_ticket_id,
                                   std::vector<std::pair<std::string, std::string>>* placed);
  // Pushes UpdateGameSession with `reason` (BACKFILL_FAILED, BACKFILL_TIMED_OUT, BACKFILL_CANCELLED)
  // to the process of a live game session; nothing if the session is gone.
  core::Effects NotifyGameSession(const std::string& gs_id, const std::string& reason,
                                  const std::string& backfill_ticket_id) const;
  // Player sessions of the game session that hold a slot (RESERVED or ACTIVE).
  int OccupiedSlots(const GameSession& gs) const;
  // Matchmaking's requests (topic "fleet-requests"): BackfillStatus → NotifyGameSession.
  core::Effects OnRequest(const core::Notice& request) const;
  // Subscribes this core to what it handles.
  void Subscribe(bus::Bus& bus) const;

  // --- queries -----------------------------------------------------------------------------------
  const Process* FindProcess(const std::string& key) const;
  const GameSession* FindGameSession(const std::string& id) const;
  const PlayerSession* FindPlayerSession(const std::string& id) const;
  // One ping endpoint (ip, game port) per location with a live process.
  std::vector<LocationEndpoint> LocationEndpoints() const;
  std::size_t ProcessCount() const { return processes_.size(); }

 private:
  core::Effects EndGameSession(GameSession& gs, GameSessionStatus status, const std::string& reason);
  core::Effects TerminateProcess(Process& p, const std::string& reason);
  void Save(core::Effects& fx, const Process& p);  // and moves capacity_epoch
  void Save(core::Effects& fx, const GameSession& g) const;
  void Save(core::Effects& fx, const PlayerSession& s) const;
  // Creates a RESERVED player session in `gs`; returns its id.
  std::string Reserve(core::Effects& fx, GameSession& gs, const DesiredPlayer& d, Millis now);
  std::string CreateGameSessionFrame(const GameSession& gs) const;
  std::string UpdateGameSessionFrame(const GameSession& gs, const std::string& reason,
                                     const std::string& backfill_ticket_id) const;
  Result<GameSession*> HostedSession(const std::string& key, const std::string& gs_id);

  const Clock& clock_;
  Random& random_;
  FleetOptions options_;
  std::map<std::string, Compute> computes_;                       // by fleet/compute
  std::map<std::string, Process> processes_;                      // by key
  // Process keys by (fleet, location); every process of processes_ is in exactly one set.
  std::map<std::pair<std::string, std::string>, std::set<std::string>> by_location_;
  std::uint64_t capacity_epoch_ = 0;
  std::map<std::string, GameSession> sessions_;                   // by ARN
  std::map<std::string, PlayerSession> players_;                  // by psess id

  // Timeouts as ordered deadlines, so Tick touches only what is due, not every process and
  // session. An entry is a hint: when it comes due, Tick checks the object as it is now (a
  // heartbeat may have moved the deadline: the entry is put back at the new one; an object that
  // left the state is dropped). Each waiting object has one entry at a time.
  enum class Due { kHeartbeat, kUnhealthy, kActivation, kReservation };
  struct Deadline {
    Millis at = 0;
    Due kind = Due::kHeartbeat;
    std::string id;  // process key, game session ARN or player session id
    bool operator>(const Deadline& o) const { return at != o.at ? at > o.at : id > o.id; }
  };
  // At most one entry per (kind, id): a process key reused by a new process (a server restarted
  // with the same pID) finds its entry still queued, and that entry, re-checked when due, is
  // never later than the new deadline (deadlines only move later).
  void Schedule(Millis at, Due kind, std::string id) {
    if (scheduled_.emplace(kind, id).second) deadlines_.push({at, kind, std::move(id)});
  }
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<Deadline>> deadlines_;
  std::set<std::pair<Due, std::string>> scheduled_;  // what deadlines_ holds
};

}  // namespace muster::fleet
