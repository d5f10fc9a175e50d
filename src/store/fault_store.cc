#include "store/fault_store.h"

#include <thread>

namespace muster::store {

void FaultStore::FailCommits(int skip, int count, Error error) {
  std::lock_guard lock(mu_);
  skip_ = skip < 0 ? 0 : skip;
  fail_count_ = count;
  fail_error_ = std::move(error);
}

void FaultStore::SetDiskFull(bool full) {
  std::lock_guard lock(mu_);
  disk_full_ = full;
}

void FaultStore::SetCommitDelay(std::chrono::milliseconds delay) {
  std::lock_guard lock(mu_);
  delay_ = delay;
}

void FaultStore::SetReadFault(std::optional<Error> error) {
  std::lock_guard lock(mu_);
  read_error_ = std::move(error);
}

void FaultStore::ClearFaults() {
  std::lock_guard lock(mu_);
  skip_ = 0;
  fail_count_ = 0;
  disk_full_ = false;
  delay_ = std::chrono::milliseconds(0);
  read_error_.reset();
}

void FaultStore::CloseGate() {
  std::lock_guard lock(mu_);
  gate_closed_ = true;
}

void FaultStore::OpenGate() {
  {
    std::lock_guard lock(mu_);
    gate_closed_ = false;
  }
  cv_.notify_all();
}

bool FaultStore::WaitForCommitAtGate(int n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return at_gate_ >= n; });
}

FaultStore::Counters FaultStore::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

std::optional<Error> FaultStore::BeforeCommit() {
  std::chrono::milliseconds delay;
  {
    std::unique_lock lock(mu_);
    ++counters_.commits;
    if (gate_closed_) {
      ++at_gate_;
      cv_.notify_all();  // WaitForCommitAtGate
      cv_.wait(lock, [&] { return !gate_closed_; });
      --at_gate_;
    }
    delay = delay_;
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  std::lock_guard lock(mu_);
  if (disk_full_) {
    ++counters_.refused;
    return Error::Unavailable("injected fault: disk full (database or disk is full)");
  }
  if (fail_count_ != 0) {
    if (skip_ > 0) {
      --skip_;
    } else {
      if (fail_count_ > 0) --fail_count_;
      ++counters_.refused;
      return fail_error_;
    }
  }
  return std::nullopt;
}

std::optional<Error> FaultStore::ReadFault() const {
  std::lock_guard lock(mu_);
  return read_error_;
}

Result<std::optional<Row>> FaultStore::Get(Table table, std::string_view id) {
  if (auto e = ReadFault()) return *e;
  return inner_.Get(table, id);
}

Result<std::vector<Row>> FaultStore::ListByIndex(Table table, std::string_view index,
                                                 std::size_t limit) {
  if (auto e = ReadFault()) return *e;
  return inner_.ListByIndex(table, index, limit);
}

Result<std::vector<Row>> FaultStore::ListByStatus(Table table, std::string_view status,
                                                  std::string_view after_id, std::size_t limit) {
  if (auto e = ReadFault()) return *e;
  return inner_.ListByStatus(table, status, after_id, limit);
}

Result<std::vector<Row>> FaultStore::List(Table table, std::string_view after_id,
                                          std::size_t limit) {
  if (auto e = ReadFault()) return *e;
  return inner_.List(table, after_id, limit);
}

Status FaultStore::Commit(const std::vector<Write>& writes,
                          const std::vector<EventAppend>& events) {
  if (auto e = BeforeCommit()) return *e;
  return inner_.Commit(writes, events);
}

Result<std::vector<Status>> FaultStore::CommitGroup(const std::vector<Batch>& batches) {
  if (auto e = BeforeCommit()) return *e;
  {
    std::lock_guard lock(mu_);
    ++counters_.groups;
    counters_.grouped_batches += batches.size();
  }
  return inner_.CommitGroup(batches);
}

Result<std::vector<Event>> FaultStore::ReadEvents(std::int64_t after_seq, std::size_t limit) {
  if (auto e = ReadFault()) return *e;
  return inner_.ReadEvents(after_seq, limit);
}

Result<std::int64_t> FaultStore::LastEventSeq() {
  if (auto e = ReadFault()) return *e;
  return inner_.LastEventSeq();
}

Status FaultStore::TrimEvents(std::int64_t up_to_seq) { return inner_.TrimEvents(up_to_seq); }

Result<std::size_t> FaultStore::PurgeByStatus(Table table, std::string_view status,
                                              Millis updated_before, std::size_t limit) {
  return inner_.PurgeByStatus(table, status, updated_before, limit);
}

std::string FaultStore::Engine() const { return inner_.Engine() + "+faults"; }

}  // namespace muster::store
