#pragma once
// One Muster node: the deterministic cores (fleet, placement, matchmaking) wired through the bus
// to the store. Every change runs as a cascade on the owner thread and is committed in ONE store
// transaction before anything is announced (pushed to a game server, answered to a client).
// On start the node restores every live ticket, placement, game session and process from the
// store, so a restart (even after SIGKILL) continues where the last run stopped.
//
// Thread safety: none. All methods run on the node's loop thread; the daemon posts work to it.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bus/bus.h"
#include "common/env.h"
#include "common/result.h"
#include "fleet/fleet_core.h"
#include "fleet/protocol.h"
#include "matchmaking/lifecycle.h"
#include "placement/placement_core.h"
#include "store/store.h"

namespace muster::node {

struct FleetSetup {
  std::string fleet_id;
  std::vector<std::string> locations;
  std::vector<fleet::Compute> computes;  // auth_token empty = keep the stored one or generate
};

struct RuleSetSetup {
  std::string name;
  std::string body;
};

struct NodeSetup {
  std::string region = "local";
  std::string account = "000000000000";
  fleet::FleetOptions fleet_options;
  std::vector<FleetSetup> fleets;
  std::vector<placement::QueueConfig> queues;
  std::vector<RuleSetSetup> rule_sets;
  std::vector<matchmaking::ConfigurationSpec> configurations;  // rule_set filled from rule_sets
};

// A rule set as stored and described by the management API.
struct RuleSetRecord {
  std::string name;
  std::string arn;
  std::string body;
  Millis creation_time = 0;
};

class Node {
 public:
  using PushSink = std::function<void(const std::string& process_key, const std::string& frame)>;
  using NoticeObserver = std::function<void(const core::Notice&)>;

  // `env` (its clock and generator) must outlive the node.
  Node(store::Store& store, const Env& env);

  // Applies the set-up (persisting definitions) and restores live state from the store.
  Status Start(const NodeSetup& setup);

  void SetPushSink(PushSink sink) { push_ = std::move(sink); }
  void AddObserver(NoticeObserver o) { observers_.push_back(std::move(o)); }
  // Called whenever a ticket was started, so the owner can run matchmaking soon (event-driven
  // matching; the daemon posts RunMatchmaking to its loop, coalescing bursts).
  void SetRunScheduler(std::function<void()> s) { schedule_run_ = std::move(s); }

  // --- client API ---------------------------------------------------------------------------
  Result<matchmaking::Ticket> StartMatchmaking(const std::string& configuration,
                                               std::vector<matchmaking::PlayerInput> players,
                                               const std::string& owner,
                                               std::string ticket_id = "");
  // Reads the ticket as committed (any status).
  Result<matchmaking::Ticket> GetTicket(const std::string& ticket_id);
  Result<matchmaking::Ticket> StopMatchmaking(const std::string& ticket_id);
  // Locations a configuration can place into (through its queue).
  Result<std::vector<std::string>> ConfigurationLocations(const std::string& configuration) const;
  std::string ConfigurationArn(const std::string& configuration) const;
  std::vector<fleet::LocationEndpoint> LocationEndpoints() const { return fleet_->LocationEndpoints(); }

  // --- management API: matchmaking definitions (node_admin.cc) ----------------------------
  // Rule sets and configurations are durable rows; the node set-up (musterd flags/TOML) defines
  // some at start, the management API the rest. Both survive restarts.
  Result<RuleSetRecord> CreateRuleSet(const std::string& name, const std::string& body);
  std::vector<RuleSetRecord> ListRuleSets() const;
  Result<RuleSetRecord> FindRuleSet(const std::string& name_or_arn) const;
  // kConflict while a configuration uses it.
  Status DeleteRuleSet(const std::string& name_or_arn);
  // Validates (rule set exists, queue exists unless STANDALONE, limits of WIRE §2) and stores.
  Result<matchmaking::ConfigurationSpec> CreateConfiguration(matchmaking::ConfigurationSpec spec);
  // Replaces an existing configuration (the caller merges the fields it changes).
  Result<matchmaking::ConfigurationSpec> UpdateConfiguration(matchmaking::ConfigurationSpec spec);
  std::vector<matchmaking::ConfigurationSpec> ListConfigurations() const;
  // Live tickets of the configuration end FAILED with their events.
  Status DeleteConfiguration(const std::string& name_or_arn);

  // --- management API: tickets (node.cc) ---------------------------------------------------------
  // ACCEPT or REJECT for players of a REQUIRES_ACCEPTANCE ticket.
  Status AcceptMatch(const std::string& ticket_id, const std::vector<std::string>& player_ids,
                     bool accept);
  // Backfill for a game session (players = the ones already in it, each with Team).
  Result<matchmaking::Ticket> StartMatchBackfill(const std::string& configuration,
                                                 const std::string& game_session_arn,
                                                 std::vector<matchmaking::PlayerInput> players,
                                                 std::string ticket_id = "");
  Result<matchmaking::Ticket> StopMatchBackfill(const std::string& ticket_id);

  // --- server socket -------------------------------------------------------------------------
  // Checks a connecting game server's compute auth token.
  Status ServerAuthenticate(const std::string& fleet_id, const std::string& compute_name,
                            const std::string& token) const {
    return fleet_->Authenticate(fleet_id, compute_name, token);
  }
  // Registers an authenticated connection as process pID; returns the process key.
  Result<std::string> ServerConnect(std::uint64_t connection, const std::string& fleet_id,
                                    const std::string& compute_name, const std::string& process_id);
  void ServerDisconnect(std::uint64_t connection, const std::string& process_key);
  // Handles one request of a connected process; the reply fields (if any) go in `reply`.
  Status ServerRequest(const std::string& process_key, const fleet::ClientMessage& message,
                       json::object* reply);
  // The auth token of a compute (for launching local game servers).
  Result<std::string> ComputeToken(const std::string& fleet_id, const std::string& compute_name) const;

  // --- time ------------------------------------------------------------------------------------
  // Runs matchmaking and placement now (event-driven after new tickets).
  void RunMatchmaking();
  // Applies timeouts and retries; call periodically (e.g. every 100 ms).
  void Tick();

  const fleet::FleetCore& fleet() const { return *fleet_; }

 private:
  // Cascades `fx` through the bus and commits it in one transaction, then pushes and notifies.
  // fatal: a failed commit aborts the process (see node.cc); only callers that can undo their
  // in-memory change themselves pass false.
  Status Apply(core::Effects fx, bool fatal = true);
  Status Restore();
  Status ServerStartBackfill(const std::string& key, const fleet::StartMatchBackfill& m,
                             json::object* reply);
  // Puts a configuration whose row just committed into memory (node_admin.cc).
  Result<matchmaking::ConfigurationSpec> PutCommittedConfiguration(matchmaking::ConfigurationSpec spec);
  // Rule sets and configurations from the set-up and the store (node_admin.cc).
  Status SetUpDefinitions(const NodeSetup& setup, core::Effects* fx);

  store::Store& store_;
  const Env env_;
  const Clock& clock_;
  std::string region_;
  std::string account_;
  std::unique_ptr<fleet::FleetCore> fleet_;
  std::unique_ptr<placement::PlacementCore> placement_;
  std::unique_ptr<matchmaking::MatchmakingCore> matchmaking_;
  bus::Bus bus_;
  PushSink push_;
  std::function<void()> schedule_run_;
  std::vector<NoticeObserver> observers_;
  std::map<std::string, std::string> compute_tokens_;  // fleet/compute → token
};

}  // namespace muster::node
