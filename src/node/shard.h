#pragma once
// One shard's commit pipeline: the changes of the cores a shard owns go through it to the store,
// in order, and their answers come back in that order. A shard is the unit of fencing: when one
// of its batches fails, the writer fences it (store/commit_writer.h), the pipeline drops what it
// staged and asks its owner to reload the shard's memory from the store (the `reload` hook),
// while other shards go on.
//
// Two writer shard names: `live` for the changes of the cores' memory (a failed batch makes the
// shard reload), `definitions` for changes committed before memory changes (a failure is only
// reported; see Commit's `fatal`).
//
// Without a writer (UseWriter not called: tests and start-up), each change commits on the calling
// thread. With one, a change is cascaded on the shard's bus, applied to memory at once, and its
// batch goes to the group-commit writer. The live changes nobody waits for (ticket starts,
// matchmaking runs, ticks, game servers' requests) made in one turn of the owner thread are one
// batch (the turn's batch, see pending_); a change that waits for its own commit flushes the turn
// first, so commits keep their order. A durable commit is published (the `publish` hook: views,
// dispatcher, pushes) from the writer's completion, on its thread and in commit order; its answer
// (`then`) follows on the owner thread, in submit order.
//
// Thread safety: everything runs on the shard's owner thread, except RunOnOwner (any thread) and
// the writer's completions (the writer's thread: they publish, then post delivery to the owner).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bus/bus.h"
#include "common/result.h"
#include "core/effects.h"
#include "store/commit_writer.h"
#include "store/store.h"

namespace muster::node {

// What a durable commit tells at once: its writes for the views (of the tables the shard's
// views read), its pushes to game servers, whether it appended outbox events, and the notices
// it made for another shard (of the shard's foreign topics), to be handled there.
struct Committed {
  std::vector<store::Write> viewed;
  std::vector<core::Push> pushes;
  std::vector<core::Notice> forwarded;
  bool events = false;
};

class Shard {
 public:
  // Runs a closure on the owner thread (asio::post to its io_context, for example).
  using Post = std::function<void(std::function<void()>)>;
  using Then = std::function<void(Status)>;
  struct Hooks {
    // Publishes a durable commit: from the writer's completion (its thread) with a writer, else
    // on the owner thread. Must be safe from the writer's thread.
    std::function<void(const Committed&)> publish;
    // Drops the shard's memory and reads it back from the store (owner thread): calls
    // BeginReload first and EndReload once the memory is back.
    std::function<void()> reload;
    // The tables whose writes a durable commit hands to `publish` (Committed::viewed).
    std::vector<store::Table> viewed;
    // The topics of the notices that another shard handles (Committed::forwarded): none when
    // one shard holds every core.
    std::vector<std::string> foreign_topics;
  };

  Shard(std::string live, std::string definitions, store::Store& store, Hooks hooks);
  const std::string& name() const { return live_; }

  // Commits through `writer` from now on; `post` reaches the owner thread. `writer` must outlive
  // the shard's use of it; stop it before the shard and before the loop that `post` feeds.
  void UseWriter(store::CommitWriter& writer, Post post);
  // Runs `f` on the owner thread: posted once UseWriter gave the way, else at once. Any thread.
  void RunOnOwner(std::function<void()> f) const;
  // Whether RunOnOwner posts (UseWriter was called) rather than running at once.
  bool posts() const { return static_cast<bool>(post_); }

  // The bus of the shard's cores (their Subscribe). Reset it when the cores are built again.
  bus::Bus& bus() { return bus_; }

  // Cascades `fx` on the shard's bus and commits it; then (in commit order) publishes it and
  // calls `then` with the outcome. fatal: `fx` changed the cores' memory, so a failed commit
  // reloads the shard; otherwise (definitions, committed before memory changes) the failure is
  // only reported. wait: returns only after `then` ran. With a writer, a fatal change nobody
  // waits for joins the turn's batch.
  void Commit(core::Effects fx, bool fatal, Then then, bool wait);
  // The same, waiting, returning the outcome.
  Status Apply(core::Effects fx, bool fatal = true);
  // Start and reload: cascades and commits on this thread (no batch of the writer is in flight
  // for the shard's live state then), and publishes at once.
  Status CommitNow(core::Effects fx);

  // Submits the turn's batch: posted by the turn's first change, and called before any other
  // commit; the daemon calls it before it stops the writer.
  void FlushTurn();
  // Delivers completed commits in order: the answers, and a reload after a failed batch. The
  // daemon calls it at shutdown, after the writer stopped (which completes everything it held).
  void Deliver();

  // kUnavailable while the shard is fenced or stopped, or the writer has no room for another batch.
  Status Serving() const;
  // From now on Serving refuses (the daemon is draining): nothing new is staged that would reach
  // a writer about to stop. Any thread.
  void Stop() { stopped_ = true; }
  // For the reload hook: answers the staged turn with kUnavailable, fences the shard and moves
  // its epoch (a failure of an older epoch does not reload again).
  void BeginReload();
  // The memory is back: unfences the shard (in the writer too).
  void EndReload();
  // A reload that failed leaves the shard fenced: tries it again (the owner's tick).
  void ReloadIfFenced() {
    if (fenced_ && hooks_.reload) hooks_.reload();
  }

  bool fenced() const { return fenced_; }
  // How often a failed commit made the shard reload.
  std::uint64_t reloads() const { return reloads_; }
  // Turn batches submitted, and the changes they held.
  std::uint64_t flushes() const { return flushes_; }
  std::uint64_t flushed_changes() const { return flushed_changes_; }

 private:
  struct InFlight;
  // Answers the turn's batch with `why` without committing it (a reload drops its memory).
  void DropPending(const Status& why);
  // The turn's answers as one, in order; the turn holds none after.
  Then TakeTurnAnswers();
  // Submits `fx` as one batch (or commits it at once without a writer) and queues its delivery;
  // delivers nothing itself.
  std::shared_ptr<InFlight> Enqueue(core::Effects fx, bool fatal, Then then);
  // Whether `fx` holds a notice for another shard (of a foreign topic).
  bool Forwards(const core::Effects& fx) const;
  // What a durable commit of `fx` tells (views, pushes, forwarded notices); takes its pushes.
  Committed Tell(core::Effects& fx) const;
  void Publish(const Committed& c) const;

  const std::string live_;
  const std::string definitions_;
  store::Store& store_;
  Hooks hooks_;
  bus::Bus bus_;
  store::CommitWriter* writer_ = nullptr;
  Post post_;
  std::deque<std::shared_ptr<InFlight>> inflight_;  // submit order; owner thread
  // The turn's batch. The live changes that nobody waits for, made while the owner thread works
  // through what is queued on it, are committed as ONE batch, submitted by a flush posted behind
  // them: a ticket started and matched in the same turn is written once, as it ends up (about a
  // third of the writer's work per ticket, bench/store_bench BM_SqliteIntakeGroup merged:1).
  // Their answers come from that batch's completion, in order; a failed batch fails them all
  // (they were one shard already: the writer fenced every later batch of it).
  // A turn holds at most kMaxTurnChanges changes (then it is flushed at once), and the writer's
  // room is checked with a slot kept for it (Serving), so back-pressure still refuses before
  // anything is staged.
  static constexpr std::size_t kMaxTurnChanges = 1024;
  core::Effects pending_;
  std::vector<Then> pending_thens_;  // one per change, in order
  std::uint64_t flushes_ = 0;
  std::uint64_t flushed_changes_ = 0;
  std::uint64_t epoch_ = 0;
  std::uint64_t reloads_ = 0;
  bool fenced_ = false;
  std::atomic<bool> stopped_{false};
  std::mutex done_mu_;  // InFlight::done and ::status, set on the writer thread
  std::condition_variable done_cv_;
};

}  // namespace muster::node
