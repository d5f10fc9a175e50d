#include "store/commit_writer.h"

#include <exception>
#include <utility>

#include "common/log.h"

namespace muster::store {

CommitWriter::CommitWriter(Store& store, CommitWriterOptions options)
    : store_(store), options_(std::move(options)) {
  thread_ = std::thread([this] { Run(); });
}

CommitWriter::~CommitWriter() { Stop(); }

Status CommitWriter::Submit(Batch batch, Completion done) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      ++stats_.refused;
      return Error::Unavailable("the store writer has stopped");
    }
    if (queue_.size() >= options_.max_queued) {
      ++stats_.refused;
      return Error::Unavailable("the store is behind: " + std::to_string(queue_.size()) +
                                " commits are waiting; retry shortly");
    }
    queue_.push_back(Item{std::move(batch), std::move(done)});
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
    std::vector<Status> outcomes = CommitWithRetries(group);
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

std::vector<Status> CommitWriter::CommitWithRetries(std::vector<Item>& items) {
  std::vector<Batch> batches;
  batches.reserve(items.size());
  for (Item& it : items) batches.push_back(std::move(it.batch));
  std::chrono::milliseconds backoff = options_.retry_backoff;
  for (int attempt = 0;; ++attempt) {
    Result<std::vector<Status>> r = store_.CommitGroup(batches);
    if (r.ok()) return std::move(r).value();
    if (attempt >= options_.retries) {
      MLOG(kError) << "store writer: a group of " << items.size() << " commits failed after "
                   << attempt + 1 << " attempts: " << r.error().message;
      {
        std::lock_guard lock(mu_);
        ++stats_.failed_groups;
      }
      return std::vector<Status>(items.size(), Status(r.error()));
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
