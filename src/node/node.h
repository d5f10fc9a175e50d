#pragma once
// One Muster node: the deterministic cores (fleet, placement, matchmaking) wired through the bus
// to the store. Every change runs as a cascade on the owner thread and is committed as ONE batch
// before anything is announced (pushed to a game server, answered to a client).
// On start the node restores every live ticket, placement, game session and process from the
// store, so a restart (even after SIGKILL) continues where the last run stopped.
//
// Commits go through the node's shard (node/shard.h): one pipeline for the live state of all
// three cores, committed as the writer shard "node" (definitions as "definitions"). A failed
// commit never rolls memory back by hand and never stops the process: the shard is fenced (it
// refuses changes with kUnavailable), the node drops its memory, reloads it from the store (which
// holds exactly what committed) and serves again. Game servers stay connected through a reload.
// Changes of definitions (rule sets, configurations) are checked, committed, and only then put in
// memory; their failure is reported and changes nothing. A durable commit is published (views,
// dispatcher, pushes) from the writer's completion, so a later commit's pushes may go out before
// an earlier commit's answer, which follows on the node's thread. The *Async operations of the
// parts return at once and answer from the completion; the others wait for their own commit.
//
// Parts by resource, each in its own files: definitions() (rule sets, configurations),
// tickets() (matchmaking tickets) and game_servers() (the server socket's requests). The Node
// itself owns the cores, their shard, the views, and what a reload rebuilds (Build, Restore).
//
// Thread safety: none, except where a method says so (RunOnOwner here; GetTicket, Authenticate,
// ProcessLive and ConfigurationArn of the parts: safe from any thread). Everything else runs on
// the node's own loop thread, which holds no connection: the connection loops post the node's
// part of a request to it (RunOnOwner). The writer's completions come from its thread: they publish
// the commit (Publish) and post the rest to the node's thread (UseWriter).

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bus/bus.h"
#include "common/env.h"
#include "common/result.h"
#include "fleet/fleet_core.h"
#include "fleet/protocol.h"
#include "matchmaking/lifecycle.h"
#include "placement/placement_core.h"
#include "store/commit_writer.h"
#include "node/definitions.h"
#include "node/fleet_view.h"
#include "node/game_servers.h"
#include "node/shard.h"
#include "node/ticket_view.h"
#include "node/tickets.h"
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

class Node {
 public:
  using PushSink = std::function<void(const std::string& process_key, const std::string& frame)>;
  // Runs a closure on the node's loop thread (asio::post to its io_context, for example).
  using Post = Shard::Post;

  // `env` (its clock and generator) must outlive the node.
  Node(store::Store& store, const Env& env);

  // Applies the set-up (persisting definitions) and restores live state from the store.
  Status Start(const NodeSetup& setup);

  // Commits through `writer` from now on (see the top of this file). `writer` must outlive the
  // node's use of it; stop it before the node and before the loop that `post` feeds.
  void UseWriter(store::CommitWriter& writer, Post post) { live_.UseWriter(writer, std::move(post)); }

  // Runs `f` on the node's thread: posted there once UseWriter gave the way, else at once (tests
  // that drive the node from one thread). Safe from any thread.
  void RunOnOwner(std::function<void()> f) const { live_.RunOnOwner(std::move(f)); }

  // Delivers every commit that completed: at shutdown, after the writer stopped (which completes
  // everything it held), so that no answer waits in the node when the loops stop.
  void DeliverCompleted() { live_.Deliver(); }
  // Submits the turn's batch (Shard::FlushTurn); the daemon calls it before it stops the writer.
  void FlushTurn() { live_.FlushTurn(); }

  // How often a failed commit made the node reload from the store; whether it is fenced now
  // (a reload failed too: it is retried on every Tick); turn batches and the changes they held.
  std::uint64_t reloads() const { return live_.reloads(); }
  bool fenced() const { return live_.fenced(); }
  std::uint64_t flushes() const { return live_.flushes(); }
  std::uint64_t flushed_changes() const { return live_.flushed_changes(); }

  // Called for each push of a durable commit, from the writer's thread with UseWriter: must be
  // safe from any thread.
  void SetPushSink(PushSink sink) { push_ = std::move(sink); }
  // Called after a commit that appended outbox events became durable (from the writer's thread
  // with UseWriter): the daemon wakes the dispatcher with it.
  void SetEventsCommitted(std::function<void()> f) { events_committed_ = std::move(f); }
  // Called whenever a ticket was started, so the owner can run matchmaking soon (event-driven
  // matching; the daemon posts RunMatchmaking to its loop, coalescing bursts).
  void SetRunScheduler(std::function<void()> s) { schedule_run_ = std::move(s); }

  // --- the parts, by resource ----------------------------------------------------------------
  Definitions& definitions() { return definitions_; }
  const Definitions& definitions() const { return definitions_; }
  Tickets& tickets() { return tickets_; }
  const Tickets& tickets() const { return tickets_; }
  GameServers& game_servers() { return game_servers_; }
  const GameServers& game_servers() const { return game_servers_; }

  // --- time ------------------------------------------------------------------------------------
  // Runs matchmaking and placement now (event-driven after new tickets).
  void RunMatchmaking();
  // Applies timeouts and retries; call periodically (e.g. every 100 ms).
  void Tick();

  const fleet::FleetCore& fleet() const { return *fleet_; }

 private:
  friend class Definitions;
  friend class Tickets;
  friend class GameServers;
  // What a durable commit tells at once: the views, the dispatcher, the game servers' pushes.
  // Runs in the writer's completion (its thread, commit order), or on the node's thread without a
  // writer.
  void Publish(const Committed& c);
  // Builds the cores from the set-up and the store. reload: definitions come from the store
  // (the set-up's rule sets and configurations apply only at Start).
  Status Build(const NodeSetup& setup, bool reload);
  // Fence and reload after a failed commit (the shard's reload hook).
  void Reload();
  void Announce(const std::vector<core::Push>& pushes);
  // Hands the writes of a durable commit to the views the loops read.
  void ApplyToViews(const std::vector<store::Write>& writes);
  Status Restore();

  store::Store& store_;
  const Env env_;
  const Clock& clock_;
  std::string region_;
  std::string account_;
  std::unique_ptr<fleet::FleetCore> fleet_;
  std::unique_ptr<placement::PlacementCore> placement_;
  std::unique_ptr<matchmaking::MatchmakingCore> matchmaking_;
  PushSink push_;
  std::function<void()> schedule_run_;
  std::function<void()> events_committed_;
  std::unordered_map<std::string, fleet::Compute> computes_;  // fleet/compute → compute (and token)
  NodeSetup setup_;                                      // for reloads
  TicketView ticket_view_;                               // committed tickets (kept through reloads)
  FleetView fleet_view_;                                 // computes and live processes, for the loops
  Shard live_;                                           // the commit pipeline of the live state
  Definitions definitions_{*this};
  Tickets tickets_{*this};
  GameServers game_servers_{*this};
};

}  // namespace muster::node
