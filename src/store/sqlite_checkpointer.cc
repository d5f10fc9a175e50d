#include "store/sqlite_checkpointer.h"

#include <chrono>

#include "common/log.h"

namespace muster::store::sqlite {

Checkpointer::Checkpointer(std::unique_ptr<Connection> own, int pages, int max_pages)
    : own_(std::move(own)), pages_(pages), max_pages_(max_pages) {
  thread_ = std::thread([this] { Run(); });
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void Checkpointer::Attach(Connection& committer) {
  sqlite3_wal_hook(committer.raw(), &Checkpointer::OnCommit, this);
}

int Checkpointer::OnCommit(void* arg, sqlite3* db, const char* /*schema*/, int pages) {
  auto* self = static_cast<Checkpointer*>(arg);
  self->last_pages_.store(pages, std::memory_order_relaxed);
  if (pages >= self->max_pages_) {
    // The background could not keep up: bound the log here. (This runs after the commit; the
    // committer's owner still holds its mutex, so no other commit of this process interleaves.)
    self->Checkpoint(db, sqlite3_db_filename(db, "main"), self->inline_);
  } else if (pages >= self->pages_) {
    bool wake = false;
    {
      std::lock_guard lock(self->mu_);
      wake = !self->wanted_;
      self->wanted_ = true;
    }
    if (wake) self->cv_.notify_one();
  }
  return SQLITE_OK;
}

void Checkpointer::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || wanted_; });
    if (stopping_) return;
    wanted_ = false;
    lock.unlock();
    bool caught_up = Checkpoint(own_->raw(), own_->path(), background_);
    lock.lock();
    // Commits kept coming while it copied: go again shortly (a commit only wakes this thread when
    // it crosses the threshold, and the log is reused from its start only once it was all copied).
    if (!caught_up && !stopping_) {
      cv_.wait_for(lock, std::chrono::milliseconds(10), [&] { return stopping_; });
      wanted_ = true;
    }
  }
}

bool Checkpointer::Checkpoint(sqlite3* db, const std::string& path, std::atomic<std::uint64_t>& done) {
  int log = 0, copied = 0;
  int rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  if (rc == SQLITE_OK) {
    done.fetch_add(1, std::memory_order_relaxed);
    if (copied < log) return false;
    if (&done == &background_) {
      caught_up_pages_.store(log, std::memory_order_relaxed);
      caught_up_.fetch_add(1, std::memory_order_relaxed);
    }
    return true;
  }
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
    busy_.fetch_add(1, std::memory_order_relaxed);  // another checkpoint is running: it does the work
    return false;
  }
  // A failed checkpoint loses nothing (the log keeps every committed page); the next commit over
  // the threshold tries again. Say so, at most once a minute.
  std::uint64_t n = failed_.fetch_add(1, std::memory_order_relaxed);
  static std::atomic<std::int64_t> last_warning{0};
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::steady_clock::now().time_since_epoch()).count();
  std::int64_t last = last_warning.load(std::memory_order_relaxed);
  if (n == 0 || (now - last >= 60 && last_warning.compare_exchange_strong(last, now))) {
    last_warning.store(now, std::memory_order_relaxed);
    MLOG(kWarn) << "sqlite store '" << path << "': checkpoint of the write-ahead log failed ("
                << sqlite3_errstr(rc) << "); the log keeps growing until one succeeds";
  }
  return false;
}

SqliteCheckpointStats Checkpointer::stats() const {
  return {.background = background_.load(std::memory_order_relaxed),
          .inline_on_commit = inline_.load(std::memory_order_relaxed),
          .caught_up = caught_up_.load(std::memory_order_relaxed),
          .busy = busy_.load(std::memory_order_relaxed),
          .failed = failed_.load(std::memory_order_relaxed),
          .wal_pages = last_pages_.load(std::memory_order_relaxed),
          .caught_up_pages = caught_up_pages_.load(std::memory_order_relaxed)};
}

}  // namespace muster::store::sqlite
