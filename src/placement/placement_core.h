#pragma once
// Game session placement (WIRE.md §2 "Queues and placement"): a placement request names a queue;
// the queue's destinations are fleets; each fleet has locations. A request is placed on the
// best location that every player can reach within the latency policy in force, on an available
// process there. If none is free the request stays PENDING and is retried whenever capacity may
// have changed, until the queue's timeout ends it as TIMED_OUT.
//
// Priority (with latency data): lowest average player latency, then destination order, then
// location order. Latency policies apply in order of increasing cap, each for its duration; the
// last applies until the timeout; with no policy, there is no cap.
//
// Waiting placements are served in arrival order: when capacity is scarce, a freed process goes
// to the placement that has waited longest (that can use it). A new placement is tried at once
// only when no older one is waiting; otherwise it waits for the next Pump. After a restart,
// arrival order is the order of start times (then placement ids, for placements started in the
// same millisecond).
//
// Notices (topic "placement", core/events.h): PlacementFulfilled and PlacementEnded; both are also
// written to the outbox as the detail of a "GameLift Queue Placement Event" (core/event_codec.h).
// Requests (topic "placement-requests") come from matchmaking: a match to place, a backfill, a
// placement to stop; a request refused here is answered PlacementEnded kFailed. Matchmaking reads
// queues, pending placements and game sessions through core::ServerReads, which this implements.
//
// Thread safety: none; one owner thread. The FleetCore passed in is owned by the same thread.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/env.h"
#include "common/result.h"
#include "bus/bus.h"
#include "core/effects.h"
#include "core/server_reads.h"
#include "fleet/fleet_core.h"

namespace muster::placement {

struct LatencyPolicy {
  int max_latency_ms = 0;
  Millis duration_ms = 0;  // 0 = until the end
};

struct QueueConfig {
  std::string name;
  std::string arn;
  Millis timeout_ms = 600'000;
  std::vector<std::string> fleets;             // destinations, in order
  std::vector<std::string> allowed_locations;  // empty = all of the fleets' locations
  std::vector<LatencyPolicy> policies;         // sorted by increasing cap when set
};

using PlayerRequest = core::PlayerRequest;
using PlacementRequest = core::PlacementRequest;

enum class PlacementStatus { kPending, kFulfilled, kCancelled, kTimedOut, kFailed };
const char* PlacementStatusName(PlacementStatus s);

struct Placement {
  PlacementRequest request;
  PlacementStatus status = PlacementStatus::kPending;
  Millis start_time = 0;
  Millis end_time = 0;
  std::string game_session_arn;   // set while a game session is activating or once fulfilled
  std::string location;
  // In memory only: what the last unsuccessful try saw. Pump tries again only when something
  // that could change the answer moved (capacity, definitions, the latency cap in force).
  std::uint64_t tried_capacity = 0;
  std::uint64_t tried_definitions = 0;
  int tried_cap = -1;
};

class PlacementCore : public core::ServerReads {
 public:
  PlacementCore(const Env& env, fleet::FleetCore& fleets);

  // Subscribes this core to what it handles: fleet notices and matchmaking's requests.
  void Subscribe(bus::Bus& bus);

  void PutFleet(const std::string& fleet_id, std::vector<std::string> locations);
  core::Effects PutQueue(QueueConfig queue);
  const QueueConfig* FindQueue(const std::string& name) const;
  // Every location reachable through the queue (for validating client latencies).
  std::vector<std::string> QueueLocations(const std::string& name) const;

  Result<core::Effects> Start(PlacementRequest request);
  // A backfill match: adds the players to the existing game session at once (no queue). On
  // success the "placement" notice PlacementFulfilled for `placement_id` follows as for Start.
  Result<core::Effects> Backfill(const std::string& placement_id, const std::string& game_session_arn,
                                 const std::vector<PlayerRequest>& players, std::string matchmaker_data,
                                 const std::string& backfill_ticket_id);
  // A backfill asked again (a repeat after a reload): when the game session's matchmaker data is
  // already this match's (it was carried out), PlacementFulfilled with the sessions its players
  // hold there (nothing is placed twice), or an error when one of them no longer holds one;
  // nullopt when it was not carried out (it is placed now).
  std::optional<Result<core::Effects>> BackfillPlaced(const core::BackfillRequested& b) const;
  fleet::FleetCore& fleets() const { return fleets_; }
  Result<core::Effects> Stop(const std::string& placement_id);
  // Tries pending placements and ends those past their timeout. A waiting placement is tried again
  // only when capacity may have changed (FleetCore::capacity_epoch), a fleet or queue changed, or
  // its latency policy stepped; so a Pump with nothing new costs a comparison per placement.
  core::Effects Pump();
  // Reacts to a fleet notice (GameSessionActivated / GameSessionFailed).
  core::Effects OnFleetNotice(const core::Notice& notice);
  // Handles a request of matchmaking (topic "placement-requests"); one it cannot carry out is
  // answered with PlacementEnded kFailed and the reason. A request for a placement that is
  // pending changes nothing (its outcome comes once). A placement id is used once: a request
  // sent again once its placement may have ended is a PlacementRepeated, answered from the store
  // by the shell (node/repeats.h). A new placement waiting behind older ones is tried at once in
  // arrival order with them (a Pump), so it takes capacity only they cannot use.
  core::Effects OnRequest(const core::Notice& request);

  // core::ServerReads.
  std::optional<core::QueueInfo> Queue(const std::string& name) const override;
  bool PlacementPending(const std::string& placement_id) const override { return Find(placement_id) != nullptr; }
  std::vector<core::MatchPlacement> MatchPlacementsPending() const override;
  std::optional<core::RunningSession> GameSession(const std::string& arn) const override;

  void Restore(std::vector<Placement> pending);
  const Placement* Find(const std::string& placement_id) const;
  std::size_t PendingCount() const { return placements_.size(); }
  // How many times a placement was tried against the fleets (for metrics and tests).
  std::uint64_t tries() const { return tries_; }

  static store::Row ToRow(const Placement& p, Millis now);
  static Result<Placement> FromRow(const store::Row& row);

 private:
  struct Candidate {
    std::string fleet_id;
    std::string location;
    double avg_latency = 0;
    int order = 0;
  };
  std::vector<Candidate> Candidates(const Placement& p, const QueueConfig& q) const;
  // The latency cap of the policy in force for `p` now (INT_MAX: none).
  int CapInForce(const Placement& p, const QueueConfig& q) const;
  core::Effects TryPlace(Placement& p);
  core::Effects Finish(Placement& p, PlacementStatus status, const std::string& reason);
  void Save(core::Effects& fx, const Placement& p) const;

  const Clock& clock_;
  fleet::FleetCore& fleets_;
  std::map<std::string, std::vector<std::string>> fleet_locations_;
  std::map<std::string, QueueConfig> queues_;
  // Adds a live placement at the end of the arrival order.
  Placement& Track(Placement p);
  void Untrack(std::string placement_id);  // by value: callers pass a key inside the map

  std::map<std::string, Placement> placements_;  // live (PENDING) placements only
  // Live placements' arrival numbers (a counter, so placements of one millisecond keep their
  // order).
  std::map<std::string, std::uint64_t> arrival_of_;
  // The placements waiting for a process (no game session activating for them), by arrival:
  // what Pump walks. Pointers into placements_ (its nodes do not move).
  std::map<std::uint64_t, Placement*> waiting_;
  // Puts `p` in or out of waiting_ after its game session ARN changed.
  void UpdateWaiting(Placement& p);
  std::uint64_t next_arrival_ = 0;
  std::uint64_t definitions_epoch_ = 0;  // moves with PutFleet and PutQueue
  std::uint64_t tries_ = 0;
};

}  // namespace muster::placement
