#pragma once
// One Muster node: the deterministic cores (fleet, placement, matchmaking) wired through the bus
// to the store. Every change runs as a cascade on an owner thread and is committed before
// anything is announced (pushed to a game server, answered to a client).
// On start the node restores every live ticket, placement, game session and process from the
// store, so a restart (even after SIGKILL) continues where the last run stopped.
//
// Shards (node/shard.h, docs/shell.md "Shards"). By default one shard holds the live state of all
// three cores, committed as the writer shard "node" (definitions as "definitions"). With
// NodeOptions::matchmaking_shard, the server side ("server": placement and fleet) and
// NodeOptions::matchmaking_sides matchmaking shards ("matchmaking", "matchmaking-1", …), each
// with its own bus, its own batches and its own owner thread. Each configuration belongs to one
// matchmaking side, fixed by its name (MatchmakingSideOf): that side's core holds its tickets and
// matcher and its thread is their one owner. Matchmaking then reads the server side from a view
// of its durable commits (node/server_view.h), and the notices one side makes for the other
// (requests one way, outcomes the other) are handed over once the commit that made them is
// durable and handled there as a change of its own (outcomes go to every matchmaking side, each
// ignoring the matches it does not hold). A failed commit fences and reloads its shard alone;
// the others go on serving. A request or an answer lost with a failed batch is asked again when
// either side reloads (PlacementRepeated, node/repeats.h).
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
// Thread safety: none, except where a method says so (the RunOn* methods and MatchmakingSideOf
// here; GetTicket, Authenticate, ProcessLive, ConfigurationArn and ListConfigurations of the
// parts: safe from any thread). definitions() and tickets() run on the owner thread of the
// matchmaking side they concern: RunOnConfiguration for an operation that names a configuration,
// RunOnTicket for one that names a ticket, RunOnDefinitions for rule sets (the first side);
// game_servers() and the rest on the node's own loop thread (RunOnOwner), which holds no
// connection. Without matchmaking_shard all are the node's thread. The writer's completions come
// from its thread: they publish the commit and post the rest to the owner threads.

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
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
  // Matchmaking as shards of its own (see the top of this file); else one shard for all cores.
  bool matchmaking_shard = false;
  // With matchmaking_shard: how many matchmaking sides (shards, each with an owner thread) the
  // configurations are spread over, by name. At least 1.
  std::size_t matchmaking_sides = 1;
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
  // thread, `matchmaking[i]` the owner thread of matchmaking side i (with matchmaking_shard; one
  // per side; missing ones: the node's thread too). `writer` must outlive the node's use of it;
  // stop it before the node and before the loops the posts feed.
  void UseWriter(store::CommitWriter& writer, Post post, std::vector<Post> matchmaking = {});

  // Runs `f` on the node's thread: posted there once UseWriter gave the way, else at once (tests
  // that drive the node from one thread). Safe from any thread.
  void RunOnOwner(std::function<void()> f) const { live_.RunOnOwner(std::move(f)); }
  // Runs `f` on the owner thread of the matchmaking side that owns `configuration` (a name or
  // an ARN; the node's thread without matchmaking_shard), for the definitions() and tickets()
  // operations that name it. Safe from any thread.
  void RunOnConfiguration(const std::string& configuration, std::function<void()> f) const {
    RunOnSide(MatchmakingSideOf(configuration), std::move(f));
  }
  // The same for an operation that names a ticket: the side that staged it (until its start is
  // durable), else the side of its configuration as the ticket view knows it; an unknown ticket
  // goes to the first side, which answers that it does not exist. Safe from any thread.
  void RunOnTicket(const std::string& ticket_id, std::function<void()> f) const;
  // The same for the operations of definitions() that name no configuration (rule sets, lists):
  // the first side. Safe from any thread.
  void RunOnDefinitions(std::function<void()> f) const { RunOnSide(0, std::move(f)); }
  // The matchmaking side that owns a configuration (name or ARN): fixed by the name, so a
  // configuration created again lands where it was. Safe from any thread.
  std::size_t MatchmakingSideOf(const std::string& configuration) const;
  std::size_t matchmaking_sides() const { return sides_.size(); }

  // Shutdown, in this order: BeginStop (any thread: the shards refuse new changes with
  // kUnavailable, and notices one shard hands the other from now on are dropped; the next start
  // asks again for the placements they concerned), FlushTurn on the node's thread and
  // FlushMatchmakingTurn on the matchmaking thread, stop the writer (which completes everything
  // it held), then DeliverCompleted and DeliverMatchmaking on the same threads, so that no answer
  // waits in the node when the loops stop.
  // (FlushMatchmakingTurn and DeliverMatchmaking once for each matchmaking side, on its thread.)
  void BeginStop();
  void FlushTurn() { live_.FlushTurn(); }
  void FlushMatchmakingTurn(std::size_t side) { if (split()) sides_.at(side)->shard->FlushTurn(); }
  void DeliverCompleted() { live_.Deliver(); }
  void DeliverMatchmaking(std::size_t side) { if (split()) sides_.at(side)->shard->Deliver(); }

  // How often a failed commit made a shard reload from the store; whether a shard is fenced now
  // (a reload failed too: it is retried on every Tick); turn batches and the changes they held.
  // Summed over the shards; the matchmaking sides' alone (zero without matchmaking_shard); one
  // side's fence.
  std::uint64_t reloads() const { return live_.reloads() + matchmaking_reloads(); }
  std::uint64_t matchmaking_reloads() const;
  bool fenced() const;
  bool side_fenced(std::size_t side) const { return split() && sides_.at(side)->shard->fenced(); }
  std::uint64_t flushes() const;
  std::uint64_t flushed_changes() const;

  // Called for each push of a durable commit, from the writer's thread with UseWriter: must be
  // safe from any thread.
  void SetPushSink(PushSink sink) { push_ = std::move(sink); }
  // Called after a commit that appended outbox events became durable (from the writer's thread
  // with UseWriter): the daemon wakes the dispatcher with it.
  void SetEventsCommitted(std::function<void()> f) { events_committed_ = std::move(f); }
  // Called whenever a ticket was started, so the owner can run matchmaking soon (event-driven
  // matching; the daemon posts RunMatchmaking(side) to that side's thread, coalescing bursts).
  // Called on the matchmaking side's owner thread, with the side.
  void SetRunScheduler(std::function<void(std::size_t side)> s) { schedule_run_ = std::move(s); }

  // --- the parts, by resource ----------------------------------------------------------------
  Definitions& definitions() { return definitions_; }
  const Definitions& definitions() const { return definitions_; }
  Tickets& tickets() { return tickets_; }
  const Tickets& tickets() const { return tickets_; }
  GameServers& game_servers() { return game_servers_; }
  const GameServers& game_servers() const { return game_servers_; }

  // --- time ------------------------------------------------------------------------------------
  // Runs matchmaking of one side (and, with one shard, waiting placements) now, event-driven
  // after new tickets; on the side's owner thread.
  void RunMatchmaking(std::size_t side = 0);
  // Applies timeouts and retries; call periodically (e.g. every 100 ms) on the node's thread. With
  // matchmaking_shard, each matchmaking side's part is posted to its thread.
  void Tick();

  const fleet::FleetCore& fleet() const { return *fleet_; }

 private:
  friend class Definitions;
  friend class Tickets;
  friend class GameServers;
  // One matchmaking side: its core (its configurations' tickets and matchers) and, with
  // matchmaking_shard, its shard (without: the node's one shard, live_).
  struct Side {
    std::unique_ptr<Shard> shard;
    std::unique_ptr<matchmaking::MatchmakingCore> core;
    std::atomic<bool> tick_pending{false};
  };
  bool split() const { return sides_.front()->shard != nullptr; }
  // What a durable commit tells at once: the views, the dispatcher, the game servers' pushes, and
  // the notices for the other side: from a matchmaking side to the server side, from the server
  // side to every matchmaking side (`from_server`). Runs in the writer's completion (its thread,
  // commit order), or on the owner thread without a writer.
  void Publish(const Committed& c, bool from_server);
  void RunOnSide(std::size_t side, std::function<void()> f) const;
  // The matchmaking side the calling code works for: the one whose RunOn* closure is running on
  // this thread, else (the node driven from one thread, tests) the side that owns `configuration`.
  std::size_t Here(const std::string& configuration) const;
  std::size_t HereForTicket(const std::string& ticket_id) const;
  // The side of a ticket (see RunOnTicket); the first side when it is unknown.
  std::size_t SideOfTicket(const std::string& ticket_id) const;
  matchmaking::MatchmakingCore& core(std::size_t side) const { return *sides_.at(side)->core; }
  // Hands notices committed by one shard to `to`, whose owner thread handles them as a live change.
  void Forward(Shard& to, std::vector<core::Notice> notices);
  // Builds the cores from the set-up and the store. reload: definitions come from the store
  // (the set-up's rule sets and configurations apply only at Start).
  Status Build(const NodeSetup& setup, bool reload);
  // The server side (fleet, placement, their bus subscriptions, fleets and queues) into `fx`, and
  // the matchmaking side (its core, definitions) into `fx`.
  Status BuildServer(const NodeSetup& setup, core::Effects* fx);
  Status BuildMatchmaking(std::size_t side, const NodeSetup& setup, bool reload, core::Effects* fx);
  // Fence and reload after a failed commit (the shards' reload hooks): the whole node with one
  // shard; one side with two (a server side reloaded makes matchmaking ask again for its
  // placements).
  void Reload();
  void ReloadServer();
  void ReloadMatchmaking(std::size_t side);
  // Fences `shard`, runs `rebuild` (drop its memory, read it back) and unfences it; false, and
  // the shard stays fenced (a tick tries again), when that fails.
  bool ReloadShard(Shard& shard, const char* what, const std::function<Status()>& rebuild);
  // A matchmaking side's part of a tick (its thread).
  void TickMatchmaking(std::size_t side);
  void Announce(const std::vector<core::Push>& pushes);
  // Hands the writes of a durable commit to the views the loops read.
  void ApplyToViews(const std::vector<store::Write>& writes);
  Status Restore();
  Status RestoreServer();
  // Every side's tickets, or `only` one side's.
  Status RestoreMatchmaking(std::optional<std::size_t> only);
  // What matchmaking reads of the server side: the placement core with one shard, the server
  // view with two.
  const core::ServerReads& server_reads() const;
  Shard& match_shard(std::size_t side) { return split() ? *sides_.at(side)->shard : live_; }
  const Shard& match_shard(std::size_t side) const { return split() ? *sides_.at(side)->shard : live_; }

  store::Store& store_;
  const Env env_;
  const Clock& clock_;
  std::string region_;
  std::string account_;
  std::unique_ptr<fleet::FleetCore> fleet_;
  std::unique_ptr<placement::PlacementCore> placement_;
  PushSink push_;
  std::function<void(std::size_t)> schedule_run_;
  std::function<void()> events_committed_;
  std::unordered_map<std::string, fleet::Compute> computes_;  // fleet/compute → compute (and token)
  NodeSetup setup_;                                      // for reloads
  TicketView ticket_view_;                               // committed tickets (kept through reloads)
  FleetView fleet_view_;                                 // computes and live processes, for the loops
  ServerView server_view_;                               // the server side for matchmaking (two shards)
  // The commit pipeline of the live state: all of it with one shard, the server side's when split.
  Shard live_;
  std::vector<std::unique_ptr<Side>> sides_;             // the matchmaking sides: at least one
  std::atomic<bool> stopping_{false};
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
