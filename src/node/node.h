#pragma once
// One Muster node: the deterministic cores (fleet, placement, matchmaking) wired through the bus
// to the store. Every change runs as a cascade on the owner thread and is committed as ONE batch
// before anything is announced (pushed to a game server, answered to a client).
// On start the node restores every live ticket, placement, game session and process from the
// store, so a restart (even after SIGKILL) continues where the last run stopped.
//
// Commits. Without a writer, each change commits on the calling thread. With one (UseWriter), a
// change is applied to the cores' memory at once and its batch goes to the group-commit writer;
// its pushes and answer follow from the writer's completion, in commit order, on the
// node's thread. The views, the dispatcher's wake-up and the pushes of a commit come first, from
// the writer's completion itself (its thread, in commit order; the views, the push sink and the
// events callback are safe from any thread). So a later commit's pushes may go out before an
// earlier commit's answer, which the node's thread sends. The *Async operations return at once
// and answer from the completion; the others wait for their own commit. A failed commit never
// rolls memory back by hand and never stops the process: the node is fenced (it refuses changes with kUnavailable), drops its memory, reloads
// it from the store (which holds exactly what committed) and serves again. Game servers stay
// connected through a reload. Changes of definitions (rule sets, configurations) are checked,
// committed, and only then put in memory; their failure is reported and changes nothing.
//
// Parts by resource, each in its own files: definitions() (rule sets, configurations),
// tickets() (matchmaking tickets) and game_servers() (the server socket's requests). The Node
// itself owns the cores, the commit pipeline (Commit, Deliver, Reload) and the views.
//
// Thread safety: none, except where a method says so (RunOnOwner here; GetTicket, Authenticate,
// ProcessLive and ConfigurationArn of the parts: safe from any thread). Everything else runs on
// the node's own loop thread, which holds no connection: the connection loops post the node's
// part of a request to it (RunOnOwner). The writer's completions come from its thread: they publish
// the commit (Publish) and post the rest to the node's thread (UseWriter).

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
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
  using Post = std::function<void(std::function<void()>)>;

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
  // Submits the turn's batch (see pending_): posted by the turn's first change, and called before
  // any other commit; the daemon calls it before it stops the writer. Node thread.
  void FlushTurn();
  // Turn batches submitted, and the changes they held (see pending_).
  std::uint64_t flushes() const { return flushes_; }
  std::uint64_t flushed_changes() const { return flushed_changes_; }
  bool fenced() const { return fenced_; }

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
  struct InFlight;
  // Cascades `fx` through the bus and commits it as one batch; then (in commit order) pushes,
  // notifies and calls `then` with the outcome. wait: returns only after `then` ran.
  // fatal: `fx` changed the cores' memory, so a failed commit reloads the node from the store;
  // otherwise (definitions, committed before memory changes) the failure is only reported.
  // With the writer, a change that nobody waits for joins the turn's batch (pending_) instead.
  void Commit(core::Effects fx, bool fatal, std::function<void(Status)> then, bool wait);
  // Answers the turn's batch with `why` without committing it (a reload drops its memory).
  void DropPending(const Status& why);
  // The turn's answers as one, in order; the turn holds none after.
  std::function<void(Status)> TakeTurnAnswers();
  // Submits `fx` as one batch (or commits it at once without a writer) and queues its delivery;
  // delivers nothing itself.
  std::shared_ptr<InFlight> Enqueue(core::Effects fx, bool fatal, std::function<void(Status)> then);
  Status Apply(core::Effects fx, bool fatal = true);
  // Delivers completed commits in order (loop thread).
  void Deliver();
  // What a durable commit tells at once: the views, the dispatcher, the game servers' pushes.
  // Runs in the writer's completion (its thread, commit order), or in Deliver without a writer.
  void Publish(const InFlight& item);
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
  bus::Bus bus_;
  PushSink push_;
  std::function<void()> schedule_run_;
  std::function<void()> events_committed_;
  std::unordered_map<std::string, fleet::Compute> computes_;  // fleet/compute → compute (and token)
  NodeSetup setup_;                                      // for reloads
  TicketView ticket_view_;                               // committed tickets (kept through reloads)
  FleetView fleet_view_;                                 // computes and live processes, for the loops
  Definitions definitions_{*this};
  Tickets tickets_{*this};
  GameServers game_servers_{*this};

  store::CommitWriter* writer_ = nullptr;
  Post post_;
  std::deque<std::shared_ptr<InFlight>> inflight_;  // submit order; loop thread
  // The turn's batch (node thread). The live changes that nobody waits for (ticket starts,
  // matchmaking runs, ticks, game servers' requests) made while this thread works through what
  // is queued on it are committed as ONE batch, submitted by a flush posted behind them: a
  // ticket started and matched in the same turn is written once, as it ends up (about a third of
  // the writer's work per ticket, bench/store_bench BM_SqliteIntakeGroup merged:1). Their answers
  // come from that batch's completion, in order; a failed batch fails them all (they were one
  // shard already: the writer fenced every later batch of it).
  // A turn holds at most kMaxTurnChanges changes (then it is flushed at once), and the writer's
  // room is checked with a slot kept for it (Serving), so back-pressure still refuses before
  // anything is staged.
  static constexpr std::size_t kMaxTurnChanges = 1024;
  core::Effects pending_;
  std::vector<std::function<void(Status)>> pending_thens_;  // one per change, in order
  std::uint64_t flushes_ = 0;          // batches flushed
  std::uint64_t flushed_changes_ = 0;  // changes they held
  std::uint64_t epoch_ = 0;    // advanced by each reload; older failures do not reload again
  std::uint64_t reloads_ = 0;
  bool fenced_ = false;
  std::mutex done_mu_;               // InFlight::done and ::status, set on the writer thread
  std::condition_variable done_cv_;
};

}  // namespace muster::node
