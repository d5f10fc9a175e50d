#include "store/commit_writer.h"

#include <exception>
#include <utility>

#include "common/log.h"

namespace muster::store {
namespace {

CommitWriterOptions Checked(CommitWriterOptions o) {
  if (o.max_group == 0) o.max_group = 1;
  if (o.max_queued == 0) o.max_queued = 1;
  if (o.retries < 0) o.retries = 0;
  return o;
}

Error FencedError(const std::string& shard) {
  return Error::Unavailable("shard '" + shard +
                            "' is fenced after a failed commit and is being reloaded; retry shortly");
}

}  // namespace

CommitWriter::CommitWriter(Store& store, CommitWriterOptions options)
    : store_(store), options_(Checked(std::move(options))) {
  thread_ = std::thread([this] {
    log::NameThisThread("muster-writer");
    Run();
  });
}

CommitWriter::~CommitWriter() { Stop(); }

Status CommitWriter::RoomLocked(const std::string& shard, std::size_t reserved) const {
  if (stopping_) return Error::Unavailable("the store writer has stopped");
  if (!shard.empty() && fenced_.count(shard)) return FencedError(shard);
  if (queue_.size() + reserved >= options_.max_queued) {
    return Error::Unavailable("the store is behind: " + std::to_string(queue_.size()) +
                              " commits are waiting; retry shortly");
  }
  return OkStatus();
}

Status CommitWriter::Room(const std::string& shard, std::size_t reserved) const {
  std::lock_guard lock(mu_);
  return RoomLocked(shard, reserved);
}

Status CommitWriter::Submit(Batch batch, Completion done) {
  {
    std::lock_guard lock(mu_);
    if (Status room = RoomLocked(batch.shard, 0); !room.ok()) {
      ++stats_.refused;
      // A full queue: the shard's later batches would build on this one (see the top of the header).
      if (!stopping_ && !batch.shard.empty()) fenced_.insert(batch.shard);
      return room;
    }
    std::uint64_t epoch = 0;
    if (!batch.shard.empty()) {
      auto it = epochs_.find(batch.shard);
      if (it != epochs_.end()) epoch = it->second;
    }
    queue_.push_back(Item{std::move(batch), std::move(done), epoch});
    ++stats_.submitted;
  }
  cv_.notify_one();
  return OkStatus();
}

void CommitWriter::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  std::call_once(joined_, [this] {
    if (thread_.joinable()) thread_.join();
  });
}

bool CommitWriter::Fenced(const std::string& shard) const {
  std::lock_guard lock(mu_);
  return fenced_.count(shard) > 0;
}

void CommitWriter::Unfence(const std::string& shard) {
  std::lock_guard lock(mu_);
  if (fenced_.erase(shard) > 0) ++epochs_[shard];  // what was queued before stays unapplied
}

CommitWriter::Stats CommitWriter::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.queued = queue_.size();
  return s;
}

void CommitWriter::Run() {
  std::vector<Item> group;
  for (;;) {
    group.clear();
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is done
      while (!queue_.empty() && group.size() < options_.max_group) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      ++stats_.groups;
      if (group.size() > stats_.largest_group) stats_.largest_group = group.size();
    }
    std::vector<Status> outcomes = CommitGroup(group);
    for (std::size_t i = 0; i < group.size(); ++i) {
      if (!group[i].done) continue;
      try {
        group[i].done(std::move(outcomes[i]));
      } catch (const std::exception& e) {
        MLOG(kError) << "store writer: a commit completion threw: " << e.what();
      } catch (...) {
        MLOG(kError) << "store writer: a commit completion threw a non-standard exception";
      }
    }
    std::lock_guard lock(mu_);
    stats_.completed += group.size();
  }
}

std::vector<Status> CommitWriter::CommitGroup(std::vector<Item>& group) {
  std::vector<Status> outcomes(group.size());
  std::vector<std::size_t> live;  // the items to commit
  std::vector<Batch> batches;
  {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < group.size(); ++i) {
      const std::string& shard = group[i].batch.shard;
      auto epoch = shard.empty() ? epochs_.end() : epochs_.find(shard);
      const bool stale = epoch != epochs_.end() && epoch->second != group[i].epoch;
      if (!shard.empty() && (stale || fenced_.count(shard))) {
        outcomes[i] = FencedError(shard);
        ++stats_.fenced_batches;
        continue;
      }
      live.push_back(i);
      batches.push_back(std::move(group[i].batch));
    }
  }
  std::vector<Status> committed = CommitWithRetries(batches);
  std::lock_guard lock(mu_);
  for (std::size_t k = 0; k < live.size(); ++k) {
    if (!committed[k].ok() && !batches[k].shard.empty()) fenced_.insert(batches[k].shard);
    outcomes[live[k]] = std::move(committed[k]);
  }
  return outcomes;
}

std::vector<Status> CommitWriter::CommitWithRetries(const std::vector<Batch>& batches) {
  if (batches.empty()) return {};
  std::chrono::milliseconds backoff = options_.retry_backoff;
  for (int attempt = 0;; ++attempt) {
    Result<std::vector<Status>> r = store_.CommitGroup(batches);
    if (r.ok()) return std::move(r).value();
    if (attempt >= options_.retries) {
      MLOG(kError) << "store writer: a group of " << batches.size() << " commits failed after "
                   << attempt + 1 << " attempts: " << r.error().message;
      {
        std::lock_guard lock(mu_);
        ++stats_.failed_groups;
      }
      return std::vector<Status>(batches.size(), Status(r.error()));
    }
    MLOG(kWarn) << "store writer: group commit failed (attempt " << attempt + 1 << " of "
                << options_.retries + 1 << "), retrying in " << backoff.count()
                << " ms: " << r.error().message;
    {
      std::lock_guard lock(mu_);
      ++stats_.retries;
    }
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
}

}  // namespace muster::store
