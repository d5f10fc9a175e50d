#pragma once
// The group-commit writer: store writes leave the event loops and the shard owner threads. A
// caller submits a batch (the writes and outbox events of one decision) with a completion; the
// writer's own thread takes everything queued, commits it as ONE store transaction
// (Store::CommitGroup: one durable sync for many tickets), and then calls each completion with
// that batch's own outcome. A caller answers its client only from the completion, so nobody is
// told "accepted" before the fact is durable.
//
// Failures:
//   - A group that fails as a whole (lock timeout, I/O error, full disk) applied nothing; it is
//     retried with a doubling backoff, `retries` times. If it still fails, every batch in it
//     completes with that error; the submitter then fences its shard and reloads it from the
//     store (nothing was applied, so memory that was staged but not applied is simply dropped).
//   - A batch whose own condition fails (kConflict: memory and store disagree) or that is invalid
//     completes with that error alone; the rest of its group commits.
// Fencing: a batch names its shard (Batch::shard). Once a batch of a shard has failed, the
// shard is fenced: its later batches are not committed (they complete, or Submit refuses them,
// with kUnavailable), because they were built on a change that never reached the store. The
// shard's owner reloads it from the store and then calls Unfence. Batches submitted before the
// Unfence are never committed, even those still queued when it comes (each shard has an epoch
// that Unfence advances). Batches with no shard are never fenced.
// Back-pressure: at most `max_queued` batches wait. Submit beyond that refuses at once with
// kUnavailable and does not call the completion (the API answers 503 with Retry-After); it never
// blocks the caller's thread. A batch refused so fences its shard as a failed one does (several
// owners share the queue, so one that asked Room first may still find it full): the shard's later
// batches were built on it.
//
// Thread safety: Submit and stats from any thread. Completions run on the writer thread, in
// submit order; they must be short, since the next group waits for them: post the outcome to
// your own loop, or do only what is cheap and safe from any thread (the node publishes a commit to
// its memory views and hands its pushes to their connections' loops there). Stop (and the
// destructor) commits everything queued, calls every completion, then joins the thread; Submit
// after Stop refuses with kUnavailable.

#include <condition_variable>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "common/result.h"
#include "store/store.h"

namespace muster::store {

struct CommitWriterOptions {
  std::size_t max_group = 512;     // batches per transaction
  std::size_t max_queued = 65536;  // batches waiting for the writer
  int retries = 3;                 // attempts after the first for a group failing as a whole
  std::chrono::milliseconds retry_backoff{20};  // before the first retry; doubles each time
};

class CommitWriter {
 public:
  using Completion = std::function<void(Status)>;

  // `store` must outlive the writer. Starts the writer thread.
  CommitWriter(Store& store, CommitWriterOptions options = {});
  ~CommitWriter();
  CommitWriter(const CommitWriter&) = delete;
  CommitWriter& operator=(const CommitWriter&) = delete;

  // Queues `batch`; `done` is called once with its outcome when that is durable (or final).
  // kUnavailable (and `done` is not called) when the queue is full or the writer has stopped.
  Status Submit(Batch batch, Completion done);

  // Why Submit would refuse a batch of `shard` now (full, stopped or fenced), or OK. A caller
  // that stages memory before submitting asks first (another shard's owner may still fill the
  // queue in between: the refused Submit then fences the shard).
  // `reserved`: batches the caller will submit before this one (a turn it has not flushed yet).
  Status Room(const std::string& shard, std::size_t reserved = 0) const;

  // Commits what is queued, completes it, and joins the writer thread. Idempotent.
  void Stop();

  // Whether a failed commit fenced `shard`; Unfence re-opens it (after its owner reloaded it).
  bool Fenced(const std::string& shard) const;
  void Unfence(const std::string& shard);

  struct Stats {
    std::uint64_t submitted = 0;
    std::uint64_t refused = 0;        // Submit calls refused (queue full or stopped)
    std::uint64_t groups = 0;         // transactions attempted (not counting retries)
    std::uint64_t retries = 0;
    std::uint64_t failed_groups = 0;  // groups that failed after every retry
    std::uint64_t completed = 0;      // completions called
    std::uint64_t fenced_batches = 0; // completed unapplied because their shard was fenced
    std::size_t largest_group = 0;
    std::size_t queued = 0;           // waiting now
  };
  Stats stats() const;

 private:
  struct Item {
    Batch batch;
    Completion done;
    std::uint64_t epoch = 0;  // the shard's epoch at Submit
  };
  void Run();
  Status RoomLocked(const std::string& shard, std::size_t reserved) const;  // REQUIRES(mu_)
  // Commits one group, with retries; returns one outcome per batch.
  std::vector<Status> CommitWithRetries(const std::vector<Batch>& batches);
  // One outcome per item: fenced items are not committed; failures fence their shards.
  std::vector<Status> CommitGroup(std::vector<Item>& group);

  Store& store_;
  const CommitWriterOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;   // GUARDED_BY(mu_)
  std::set<std::string> fenced_;  // GUARDED_BY(mu_)
  std::map<std::string, std::uint64_t> epochs_;  // GUARDED_BY(mu_); absent = 0
  Stats stats_;             // GUARDED_BY(mu_)
  std::once_flag joined_;
  std::thread thread_;      // last: starts after everything above is set
};

}  // namespace muster::store
