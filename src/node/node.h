#pragma once
// One Muster node: the deterministic cores (fleet, placement, matchmaking) wired through the bus
// to the store. Every change runs as a cascade on the owner thread and is committed as ONE batch
// before anything is announced (pushed to a game server, answered to a client).
// On start the node restores every live ticket, placement, game session and process from the
// store, so a restart (even after SIGKILL) continues where the last run stopped.
//
// Commits. Without a writer, each change commits on the calling thread. With one (UseWriter), a
// change is applied to the cores' memory at once and its batch goes to the group-commit writer;
// its pushes, notices and answer follow from the writer's completion, in commit order, on the
// node's thread. The *Async operations return at once and answer from the completion; the others
// wait for their own commit. A failed commit never rolls memory back by hand and never stops the
// process: the node is fenced (it refuses changes with kUnavailable), drops its memory, reloads
// it from the store (which holds exactly what committed) and serves again. Game servers stay
// connected through a reload. Changes of definitions (rule sets, configurations) are checked,
// committed, and only then put in memory; their failure is reported and changes nothing.
//
// Thread safety: none, except where a method says so (GetTicket, ServerAuthenticate, ProcessLive,
// RunOnOwner, ConfigurationArn: safe from any thread). Everything else runs on the node's own loop
// thread, which holds no connection: the connection loops post the node's part of a request to it
// (RunOnOwner). The writer's completions come from its thread and post to the loop (UseWriter).

#include <condition_variable>
#include <deque>
#include <mutex>
#include <functional>
#include <memory>
#include <set>
#include <unordered_map>
#include <string>
#include <vector>

#include "bus/bus.h"
#include "common/env.h"
#include "common/result.h"
#include "fleet/fleet_core.h"
#include "fleet/protocol.h"
#include "matchmaking/lifecycle.h"
#include "placement/placement_core.h"
#include "store/commit_writer.h"
#include "node/fleet_view.h"
#include "node/ticket_view.h"
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
  // Runs a closure on the node's loop thread (asio::post to its io_context, for example).
  using Post = std::function<void(std::function<void()>)>;
  using TicketDone = std::function<void(Result<matchmaking::Ticket>)>;

  // `env` (its clock and generator) must outlive the node.
  Node(store::Store& store, const Env& env);

  // Applies the set-up (persisting definitions) and restores live state from the store.
  Status Start(const NodeSetup& setup);

  // Commits through `writer` from now on (see the top of this file). `writer` must outlive the
  // node's use of it; stop it before the node and before the loop that `post` feeds.
  void UseWriter(store::CommitWriter& writer, Post post);

  // Runs `f` on the node's thread: posted there once UseWriter gave the way, else at once (tests
  // that drive the node from one thread). Safe from any thread.
  void RunOnOwner(std::function<void()> f) const;

  // Delivers every commit that completed: at shutdown, after the writer stopped (which completes
  // everything it held), so that no answer waits in the node when the loops stop.
  void DeliverCompleted() { Deliver(); }

  // How often a failed commit made the node reload from the store; whether it is fenced now
  // (a reload failed too: it is retried on every Tick).
  std::uint64_t reloads() const { return reloads_; }
  bool fenced() const { return fenced_; }

  void SetPushSink(PushSink sink) { push_ = std::move(sink); }
  void AddObserver(NoticeObserver o) { observers_.push_back(std::move(o)); }
  // Called (on the node's thread) after a commit that appended outbox events became durable:
  // the daemon wakes the dispatcher with it.
  void SetEventsCommitted(std::function<void()> f) { events_committed_ = std::move(f); }
  // Called whenever a ticket was started, so the owner can run matchmaking soon (event-driven
  // matching; the daemon posts RunMatchmaking to its loop, coalescing bursts).
  void SetRunScheduler(std::function<void()> s) { schedule_run_ = std::move(s); }

  // --- client API ---------------------------------------------------------------------------
  Result<matchmaking::Ticket> StartMatchmaking(const std::string& configuration,
                                               std::vector<matchmaking::PlayerInput> players,
                                               const std::string& owner,
                                               std::string ticket_id = "");
  // The same, answered from the commit's completion (at once when refused before staging):
  // kUnavailable when the writer is full or the node is fenced (HTTP 503, retry later).
  void StartMatchmakingAsync(const std::string& configuration, std::vector<matchmaking::PlayerInput> players,
                             const std::string& owner, std::string ticket_id, TicketDone done);
  // Reads the ticket as committed (any status): from memory (TicketView) for live and recently
  // ended tickets, else from the store. The one method safe from any thread.
  Result<matchmaking::Ticket> GetTicket(const std::string& ticket_id);
  Result<matchmaking::Ticket> StopMatchmaking(const std::string& ticket_id);
  // Locations a configuration can place into (through its queue).
  Result<std::vector<std::string>> ConfigurationLocations(const std::string& configuration) const;
  // Safe from any thread (the region and account are fixed at Start).
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
  // Checks a connecting game server's compute auth token. Safe from any thread (FleetView).
  Status ServerAuthenticate(const std::string& fleet_id, const std::string& compute_name,
                            const std::string& token) const {
    return fleet_view_.Authenticate(fleet_id, compute_name, token);
  }
  // Whether process `key` is connected or active as committed (not terminated, not unknown).
  // Safe from any thread.
  bool ProcessLive(const std::string& key) const { return fleet_view_.ProcessLive(key); }
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
  struct InFlight;
  // Cascades `fx` through the bus and commits it as one batch; then (in commit order) pushes,
  // notifies and calls `then` with the outcome. wait: returns only after `then` ran.
  // fatal: `fx` changed the cores' memory, so a failed commit reloads the node from the store;
  // otherwise (definitions, committed before memory changes) the failure is only reported.
  void Commit(core::Effects fx, bool fatal, std::function<void(Status)> then, bool wait);
  Status Apply(core::Effects fx, bool fatal = true);
  // Delivers completed commits in order (loop thread).
  void Deliver();
  // kUnavailable while the node is fenced or the writer has no room for another batch.
  Status Serving() const;
  // Builds the cores from the set-up and the store. reload: definitions come from the store
  // (the set-up's rule sets and configurations apply only at Start).
  Status Build(const NodeSetup& setup, bool reload);
  // Fence and reload after a failed commit.
  void Reload();
  // Start and reload: commits on this thread (no batch of the writer is in flight for the live
  // state then), and announces at once.
  Status CommitNow(core::Effects fx);
  void Announce(const std::vector<core::Push>& pushes, const std::vector<core::Notice>& notices);
  // Hands the writes of a durable commit to the views the loops read.
  void ApplyToViews(const std::vector<store::Write>& writes);
  void StartTicket(const std::string& configuration, std::vector<matchmaking::PlayerInput> players,
                   const std::string& owner, std::string ticket_id, TicketDone done, bool wait);
  // Checks and stages a new ticket (StartMatchmaking and its async form).
  Result<core::Effects> StageTicket(const std::string& configuration, std::vector<matchmaking::PlayerInput> players,
                                    const std::string& owner, const std::string& ticket_id);
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
  std::function<void()> events_committed_;
  std::vector<NoticeObserver> observers_;
  std::unordered_map<std::string, fleet::Compute> computes_;  // fleet/compute → compute (and token)
  NodeSetup setup_;                                      // for reloads
  TicketView ticket_view_;                               // committed tickets (kept through reloads)
  FleetView fleet_view_;                                 // computes and live processes, for the loops
  std::set<std::string> inserting_;                      // tickets staged, their insert not yet done
  std::map<std::string, std::uint64_t> connections_;     // process key → open server connection

  store::CommitWriter* writer_ = nullptr;
  Post post_;
  std::deque<std::shared_ptr<InFlight>> inflight_;  // submit order; loop thread
  std::uint64_t epoch_ = 0;    // advanced by each reload; older failures do not reload again
  std::uint64_t reloads_ = 0;
  bool fenced_ = false;
  std::mutex done_mu_;               // InFlight::done and ::status, set on the writer thread
  std::condition_variable done_cv_;
};

}  // namespace muster::node
