#pragma once
// One Muster node: the deterministic cores (fleet, placement, matchmaking) wired through the bus
// to the store. Every change runs as a cascade on an owner thread and is committed before
// anything is announced (pushed to a game server, answered to a client).
// On start the node restores every live ticket, placement, game session and process from the
// store, so a restart (even after SIGKILL) continues where the last run stopped.
//
// Shards (node/shard.h, docs/shell.md "Shards"). By default one shard holds the live state of all
// three cores, committed as the writer shard "node" (definitions as "definitions"). With
// NodeOptions::matchmaking_shard, two: "matchmaking" (the matchmaking core: every
// configuration's tickets and matchers, and the definitions) and "server" (placement and fleet),
// each with its own bus, its own batches and its own owner thread. Matchmaking then reads the
// server side from a view of its durable commits (node/server_view.h), and the notices one side
// makes for the other (requests one way, outcomes the other) are handed over once the commit that
// made them is durable and handled there as a change of its own. A failed commit fences and
// reloads its shard alone; the other goes on serving. A request or an answer lost with a failed
// batch is asked again when either side reloads (PlacementRepeated, node/repeats.h).
//
// A failed commit never rolls memory back by hand and never stops the process: the shard is
// fenced (it refuses changes with kUnavailable), the node drops that shard's memory, reloads it
// from the store (which holds exactly what committed) and serves again. Game servers stay
// connected through a reload. Changes of definitions (rule sets, configurations) are checked,
// committed, and only then put in memory; their failure is reported and changes nothing. A
// durable commit is published (views, dispatcher, pushes, handing over) from the writer's
// completion, so a later commit's pushes may go out before an earlier commit's answer, which
// follows on the owner thread. The *Async operations of the parts return at once and answer from
// the completion; the others wait for their own commit.
//
// Parts by resource, each in its own files: definitions() (rule sets, configurations),
// tickets() (matchmaking tickets) and game_servers() (the server socket's requests). The Node
// itself owns the cores, their shards, the views, and what a reload rebuilds (Build, Restore).
//
// Thread safety: none, except where a method says so (RunOnOwner and RunOnMatchmaking here;
// GetTicket, Authenticate, ProcessLive and ConfigurationArn of the parts: safe from any thread).
// definitions() and tickets() run on the matchmaking shard's owner thread (RunOnMatchmaking);
// game_servers() and the rest on the node's own loop thread (RunOnOwner), which holds no
// connection. Without matchmaking_shard both are the node's thread. The writer's completions
// come from its thread: they publish the commit and post the rest to the owner threads.

#include <atomic>
#include <deque>
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
#include "node/server_view.h"
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

struct NodeOptions {
  // Matchmaking as a shard of its own (see the top of this file); else one shard for all cores.
  bool matchmaking_shard = false;
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
  Node(store::Store& store, const Env& env, NodeOptions options = {});

  // Applies the set-up (persisting definitions) and restores live state from the store.
  Status Start(const NodeSetup& setup);

  // Commits through `writer` from now on (see the top of this file). `post` reaches the node's
  // thread, `matchmaking` the matchmaking shard's (with matchmaking_shard; empty: the node's
  // thread too). `writer` must outlive the node's use of it; stop it before the node and before
  // the loops the posts feed.
  void UseWriter(store::CommitWriter& writer, Post post, Post matchmaking = {});

  // Runs `f` on the node's thread: posted there once UseWriter gave the way, else at once (tests
  // that drive the node from one thread). Safe from any thread.
  void RunOnOwner(std::function<void()> f) const { live_.RunOnOwner(std::move(f)); }
  // Runs `f` on the matchmaking shard's owner thread (the node's thread without
  // matchmaking_shard): for definitions() and tickets(). Safe from any thread.
  void RunOnMatchmaking(std::function<void()> f) const { match_shard().RunOnOwner(std::move(f)); }

  // Shutdown, in this order: BeginStop (any thread: the shards refuse new changes with
  // kUnavailable, and notices one shard hands the other from now on are dropped; the next start
  // asks again for the placements they concerned), FlushTurn on the node's thread and
  // FlushMatchmakingTurn on the matchmaking thread, stop the writer (which completes everything
  // it held), then DeliverCompleted and DeliverMatchmaking on the same threads, so that no answer
  // waits in the node when the loops stop.
  void BeginStop() {
    stopping_ = true;
    live_.Stop();
    if (match_) match_->Stop();
  }
  void FlushTurn() { live_.FlushTurn(); }
  void FlushMatchmakingTurn() { if (match_) match_->FlushTurn(); }
  void DeliverCompleted() { live_.Deliver(); }
  void DeliverMatchmaking() { if (match_) match_->Deliver(); }

  // How often a failed commit made a shard reload from the store; whether a shard is fenced now
  // (a reload failed too: it is retried on every Tick); turn batches and the changes they held.
  // Summed over the shards; the matchmaking shard's alone (zero without matchmaking_shard).
  std::uint64_t reloads() const { return live_.reloads() + (match_ ? match_->reloads() : 0); }
  std::uint64_t matchmaking_reloads() const { return match_ ? match_->reloads() : 0; }
  bool fenced() const { return live_.fenced() || (match_ && match_->fenced()); }
  std::uint64_t flushes() const { return live_.flushes() + (match_ ? match_->flushes() : 0); }
  std::uint64_t flushed_changes() const {
    return live_.flushed_changes() + (match_ ? match_->flushed_changes() : 0);
  }

  // Called for each push of a durable commit, from the writer's thread with UseWriter: must be
  // safe from any thread.
  void SetPushSink(PushSink sink) { push_ = std::move(sink); }
  // Called after a commit that appended outbox events became durable (from the writer's thread
  // with UseWriter): the daemon wakes the dispatcher with it.
  void SetEventsCommitted(std::function<void()> f) { events_committed_ = std::move(f); }
  // Called whenever a ticket was started, so the owner can run matchmaking soon (event-driven
  // matching; the daemon posts RunMatchmaking to the matchmaking thread, coalescing bursts).
  // Called on the matchmaking shard's owner thread.
  void SetRunScheduler(std::function<void()> s) { schedule_run_ = std::move(s); }

  // --- the parts, by resource ----------------------------------------------------------------
  Definitions& definitions() { return definitions_; }
  const Definitions& definitions() const { return definitions_; }
  Tickets& tickets() { return tickets_; }
  const Tickets& tickets() const { return tickets_; }
  GameServers& game_servers() { return game_servers_; }
  const GameServers& game_servers() const { return game_servers_; }

  // --- time ------------------------------------------------------------------------------------
  // Runs matchmaking (and, with one shard, waiting placements) now, event-driven after new
  // tickets; on the matchmaking shard's owner thread.
  void RunMatchmaking();
  // Applies timeouts and retries; call periodically (e.g. every 100 ms) on the node's thread. With
  // matchmaking_shard, the matchmaking side's part is posted to its thread.
  void Tick();

  const fleet::FleetCore& fleet() const { return *fleet_; }

 private:
  friend class Definitions;
  friend class Tickets;
  friend class GameServers;
  // What a durable commit tells at once: the views, the dispatcher, the game servers' pushes, and
  // the notices for the other shard (`to`). Runs in the writer's completion (its thread, commit
  // order), or on the owner thread without a writer.
  void Publish(const Committed& c, Shard* to);
  // Hands notices committed by one shard to `to`, whose owner thread handles them as a live change.
  void Forward(Shard& to, std::vector<core::Notice> notices);
  // Builds the cores from the set-up and the store. reload: definitions come from the store
  // (the set-up's rule sets and configurations apply only at Start).
  Status Build(const NodeSetup& setup, bool reload);
  // The server side (fleet, placement, their bus subscriptions, fleets and queues) into `fx`, and
  // the matchmaking side (its core, definitions) into `fx`.
  Status BuildServer(const NodeSetup& setup, core::Effects* fx);
  Status BuildMatchmaking(const NodeSetup& setup, bool reload, core::Effects* fx);
  // Fence and reload after a failed commit (the shards' reload hooks): the whole node with one
  // shard; one side with two (a server side reloaded makes matchmaking ask again for its
  // placements).
  void Reload();
  void ReloadServer();
  void ReloadMatchmaking();
  // Fences `shard`, runs `rebuild` (drop its memory, read it back) and unfences it; false, and
  // the shard stays fenced (a tick tries again), when that fails.
  bool ReloadShard(Shard& shard, const char* what, const std::function<Status()>& rebuild);
  // Matchmaking's part of a tick (its thread).
  void TickMatchmaking();
  void Announce(const std::vector<core::Push>& pushes);
  // Hands the writes of a durable commit to the views the loops read.
  void ApplyToViews(const std::vector<store::Write>& writes);
  Status Restore();
  Status RestoreServer();
  Status RestoreMatchmaking();
  // What matchmaking reads of the server side: the placement core with one shard, the server
  // view with two.
  const core::ServerReads& server_reads() const;
  Shard& match_shard() { return match_ ? *match_ : live_; }
  const Shard& match_shard() const { return match_ ? *match_ : live_; }

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
  ServerView server_view_;                               // the server side for matchmaking (two shards)
  // The commit pipeline of the live state: all of it with one shard, the server side's with two.
  Shard live_;
  std::unique_ptr<Shard> match_;                         // the matchmaking shard (matchmaking_shard)
  std::atomic<bool> stopping_{false};
  std::atomic<bool> match_tick_pending_{false};
  // Notices handed over without a writer (start-up, and tests that drive the node from one
  // thread): handled in order by the outermost Forward, inside the publish of the commit that
  // handed over the first of them (so, there, a shard's answers may come out of order).
  std::deque<std::function<void()>> forwards_;
  bool forwarding_ = false;
  Definitions definitions_{*this};
  Tickets tickets_{*this};
  GameServers game_servers_{*this};
};

}  // namespace muster::node
