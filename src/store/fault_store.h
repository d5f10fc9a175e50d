#pragma once
// A fault-injecting store for tests: wraps a real engine and, on demand, refuses commits (the next
// few, or every one while "the disk is full"), makes each commit slower, holds commits at a gate
// until the test opens it, or fails reads. Whatever is not refused passes through to the wrapped
// engine, so a test can check afterwards that memory and the real database agree.
//
// A refused commit (Commit or CommitGroup) applies nothing: it fails before reaching the engine,
// as a failed transaction does.
//
// Thread safety: safe from any thread; a test arms faults from its own thread while the node's
// writer commits from another.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

#include "store/store.h"

namespace muster::store {

class FaultStore final : public Store {
 public:
  // `inner` must outlive this store.
  explicit FaultStore(Store& inner) : inner_(inner) {}

  // After `skip` more commits pass, the next `count` commits fail with `error` (count < 0: every
  // commit until ClearFaults). Replaces an earlier fault of this kind.
  void FailCommits(int skip, int count, Error error);
  // Every commit fails as on a full disk (kUnavailable "disk full") until it is set back to false.
  void SetDiskFull(bool full);
  // Each commit waits this long before it runs (a store slower than the request rate).
  void SetCommitDelay(std::chrono::milliseconds delay);
  // Reads (Get, List*, ReadEvents) fail with `error` until ClearFaults; nullopt clears it.
  void SetReadFault(std::optional<Error> error);
  // Ends every fault above (not the gate).
  void ClearFaults();

  // The gate: while closed, each commit waits at it before running. WaitForCommitAtGate blocks
  // until at least `n` commits are waiting (false after `timeout`).
  void CloseGate();
  void OpenGate();
  bool WaitForCommitAtGate(int n = 1,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

  struct Counters {
    std::uint64_t commits = 0;          // Commit and CommitGroup calls
    std::uint64_t refused = 0;          // of them, failed by an injected fault
    std::uint64_t groups = 0;           // CommitGroup calls that reached the engine
    std::uint64_t grouped_batches = 0;  // batches in those calls
  };
  Counters counters() const;

  // Store
  Result<std::optional<Row>> Get(Table table, std::string_view id) override;
  Result<std::vector<Row>> ListByIndex(Table table, std::string_view index,
                                       std::size_t limit) override;
  Result<std::vector<Row>> ListByStatus(Table table, std::string_view status,
                                        std::string_view after_id, std::size_t limit) override;
  Result<std::vector<Row>> List(Table table, std::string_view after_id,
                                std::size_t limit) override;
  Status Commit(const std::vector<Write>& writes,
                const std::vector<EventAppend>& events) override;
  Result<std::vector<Status>> CommitGroup(const std::vector<Batch>& batches) override;
  Result<std::vector<Event>> ReadEvents(std::int64_t after_seq, std::size_t limit) override;
  Result<std::int64_t> LastEventSeq() override;
  Status TrimEvents(std::int64_t up_to_seq) override;
  Result<std::size_t> PurgeByStatus(Table table, std::string_view status, Millis updated_before,
                                    std::size_t limit) override;
  std::string Engine() const override;

 private:
  // Waits at the gate and for the delay, then decides: nullopt = pass to the engine.
  std::optional<Error> BeforeCommit();
  std::optional<Error> ReadFault() const;

  Store& inner_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int skip_ = 0;                        // GUARDED_BY(mu_)
  int fail_count_ = 0;                  // GUARDED_BY(mu_); < 0: until cleared
  Error fail_error_;                    // GUARDED_BY(mu_)
  bool disk_full_ = false;              // GUARDED_BY(mu_)
  std::chrono::milliseconds delay_{0};  // GUARDED_BY(mu_)
  std::optional<Error> read_error_;     // GUARDED_BY(mu_)
  bool gate_closed_ = false;            // GUARDED_BY(mu_)
  int at_gate_ = 0;                     // GUARDED_BY(mu_)
  Counters counters_;                   // GUARDED_BY(mu_)
};

}  // namespace muster::store
