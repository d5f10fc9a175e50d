#include "store/sqlite_checkpointer.h"

#include <algorithm>
#include <chrono>

#include "common/log.h"

namespace muster::store::sqlite {

namespace {
constexpr std::chrono::milliseconds kMinRetry{10};
constexpr std::chrono::milliseconds kMaxRetry{1000};
}  // namespace

Checkpointer::Checkpointer(std::unique_ptr<Connection> own, int pages, int max_pages,
                           int restart_pages, std::chrono::milliseconds quiet)
    : own_(std::move(own)),
      pages_(pages),
      max_pages_(max_pages),
      restart_pages_(restart_pages),
      quiet_(quiet) {
  thread_ = std::thread([this] {
    log::NameThisThread("muster-checkpt");
    Run();
  });
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

int Checkpointer::OnCommit(void* arg, sqlite3* db, const char* /*schema*/, int pages) noexcept {
  // Runs inside sqlite3_step(COMMIT): nothing may unwind through SQLite's C frames.
  try {
    auto* self = static_cast<Checkpointer*>(arg);
    self->last_pages_.store(pages, std::memory_order_relaxed);
    self->commits_.fetch_add(1);  // seq_cst, with idle_ below (Run reads them the other way round)
    // Frames not copied yet. A log shorter than what was copied of it was started again. (One
    // commit that restarted the log and wrote more frames than were copied before is counted
    // short until the next checkpoint sets the copied count right.)
    int copied = self->copied_.load(std::memory_order_relaxed);
    if (pages < copied) {
      copied = 0;
      self->copied_.store(0, std::memory_order_relaxed);
      self->restarts_.fetch_add(1, std::memory_order_relaxed);
      self->restart_tried_.store(0, std::memory_order_relaxed);
    }
    const int waiting = pages - copied;
    // The log is at its restart size: copy what is left of it here, so that the next commit
    // starts it from its beginning (no other commit of this process can come in between). This
    // waits for a background pass that is running (it holds the lock a copy needs, and would end
    // after more commits came); the pause is that pass's end, the copy of what it left and a
    // sync. Should a reader in the log keep it from starting again, the next try waits for
    // `pages` more frames.
    const int tried = self->restart_tried_.load(std::memory_order_relaxed);
    if (pages >= self->restart_pages_ && (pages < tried || pages >= tried + self->pages_)) {
      std::lock_guard pass(self->pass_mu_);
      self->restart_tried_.store(pages, std::memory_order_relaxed);
      self->restart_tries_.fetch_add(1, std::memory_order_relaxed);
      self->Checkpoint(db, sqlite3_db_filename(db, "main"), Kind::kRestart);
    } else if (waiting >= self->max_pages_) {
      // The background did not keep up: copy here what no reader needs (PASSIVE never waits, so
      // a commit is never held up by a reader or by the background's own pass, which makes this
      // one return at once as busy). This runs after the commit; the committer's owner still
      // holds its mutex, so no other commit of this process interleaves.
      self->Checkpoint(db, sqlite3_db_filename(db, "main"), Kind::kCap);
    } else if (waiting >= self->pages_) {
      bool wake = false;
      {
        std::lock_guard lock(self->mu_);
        wake = !self->wanted_;
        self->wanted_ = true;
      }
      if (wake) self->cv_.notify_one();
    }
    // The first commit after the background went to sleep with the whole log copied wakes it to
    // copy the frames that come now once commits pause (every commit appends a frame; at worst
    // the pass finds nothing to copy, which SQLite does without a sync). Checked after each
    // branch above: a commit that copied the log itself may have left frames a reader needs.
    if (self->idle_.load()) {
      bool wake = false;
      {
        std::lock_guard lock(self->mu_);
        wake = self->idle_.exchange(false);
        self->rest_ = true;
      }
      if (wake) self->cv_.notify_one();
    }
  } catch (...) {
    // A checkpoint not taken loses nothing; the next commit over the threshold asks again.
  }
  return SQLITE_OK;
}

void Checkpointer::Run() {
  std::unique_lock lock(mu_);
  std::chrono::milliseconds backoff = kMinRetry;
  int last_copied = -1;
  std::uint64_t seen = 0;  // commits_ when the last pass began: it copied at least those
  // Waits until commits paused for `quiet_`, a commit crossed the threshold, or the node stops.
  auto wait_for_quiet = [&] {
    for (;;) {
      const std::uint64_t before = commits_.load(std::memory_order_relaxed);
      if (cv_.wait_for(lock, quiet_, [&] { return stopping_ || wanted_; })) return;
      if (commits_.load(std::memory_order_relaxed) == before) return;  // they paused
    }
  };
  for (;;) {
    // Asleep until a commit crosses the threshold or, when commits came after the last pass
    // began (fewer than a threshold's worth, or they would have woken it), until commits pause:
    // the log is reused from its start only once all of it was copied, so the end of a burst
    // would otherwise stay in the log, and the database file lag behind, until the next burst.
    idle_.store(true);  // seq_cst: a commit after this load of commits_ sees it and wakes us
    if (commits_.load() != seen) rest_ = true;
    if (rest_) idle_.store(false);
    cv_.wait(lock, [&] { return stopping_ || wanted_ || rest_; });
    idle_.store(false);
    if (stopping_) return;
    if (!wanted_) {
      wait_for_quiet();
      if (stopping_) return;
    }
    wanted_ = false;
    rest_ = false;
    seen = commits_.load();
    lock.unlock();
    Pass pass;
    {
      std::lock_guard one_at_a_time(pass_mu_);
      pass = Checkpoint(own_->raw(), own_->path().c_str(), Kind::kBackground);
    }
    lock.lock();
    if (pass.caught_up) {
      backoff = kMinRetry;
      last_copied = -1;
      continue;  // the next commit over the threshold wakes this thread again (or a rest, above)
    }
    // Not all of it. Commits kept coming while it copied (a commit only wakes this thread when it
    // crosses the threshold): go again shortly. Nothing moved (another connection holds an old
    // snapshot, say a backup, or the checkpoint failed): go again later and later, up to a second.
    const bool progress = pass.ok && pass.copied != last_copied;
    last_copied = pass.copied;
    if (progress && pass.left < pages_) {
      // Less than a threshold's worth left: not worth a pass (and a sync) per commit; copy the
      // rest when commits pause (a commit that crosses the threshold meanwhile wakes this thread
      // sooner).
      backoff = kMinRetry;
      wait_for_quiet();
      if (stopping_) return;
      wanted_ = true;
      continue;
    }
    if (progress) {
      backoff = kMinRetry;
    } else {
      stalled_.fetch_add(1, std::memory_order_relaxed);
      if (backoff >= kMaxRetry && pass.ok) {
        Warn(own_->path().c_str(), "the write-ahead log cannot be copied into the database: another "
                                   "connection reads an old snapshot (a long backup or query?); the log "
                                   "grows until it ends");
      }
      backoff = std::min(backoff * 2, kMaxRetry);
    }
    cv_.wait_for(lock, backoff, [&] { return stopping_; });
    wanted_ = true;
  }
}

Checkpointer::Pass Checkpointer::Checkpoint(sqlite3* db, const char* path, Kind kind) {
  int log = 0, copied = 0;
  int rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  if (rc == SQLITE_OK) {
    const bool background = kind == Kind::kBackground;
    auto& counted = background ? background_ : kind == Kind::kCap ? inline_ : restart_copies_;
    counted.fetch_add(1, std::memory_order_relaxed);
    copied_.store(copied, std::memory_order_relaxed);
    const bool all = copied >= log;
    if (all && background) {
      caught_up_pages_.store(log, std::memory_order_relaxed);
      caught_up_.fetch_add(1, std::memory_order_relaxed);
    }
    return {.ok = true, .caught_up = all, .copied = copied, .left = log - copied};
  }
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
    busy_.fetch_add(1, std::memory_order_relaxed);  // another checkpoint is running: it does the work
    return {};
  }
  // A failed checkpoint loses nothing (the log keeps every committed page); it is tried again.
  failed_.fetch_add(1, std::memory_order_relaxed);
  Warn(path, std::string("checkpoint of the write-ahead log failed (") + sqlite3_errstr(rc) +
                 "); the log grows until one succeeds");
  return {};
}

void Checkpointer::Warn(const char* path, const std::string& what) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::steady_clock::now().time_since_epoch()).count();
  std::int64_t last = last_warning_.load(std::memory_order_relaxed);
  if (last != 0 && now - last < 60) return;  // at most once a minute
  if (!last_warning_.compare_exchange_strong(last, now == 0 ? 1 : now)) return;
  MLOG(kWarn) << "sqlite store '" << (path != nullptr ? path : "?") << "': " << what;
}

SqliteCheckpointStats Checkpointer::stats() const {
  return {.background = background_.load(std::memory_order_relaxed),
          .inline_on_commit = inline_.load(std::memory_order_relaxed),
          .caught_up = caught_up_.load(std::memory_order_relaxed),
          .busy = busy_.load(std::memory_order_relaxed),
          .stalled = stalled_.load(std::memory_order_relaxed),
          .failed = failed_.load(std::memory_order_relaxed),
          .wal_pages = last_pages_.load(std::memory_order_relaxed),
          .caught_up_pages = caught_up_pages_.load(std::memory_order_relaxed),
          .copied_pages = copied_.load(std::memory_order_relaxed),
          .restarts = restarts_.load(std::memory_order_relaxed),
          .restart_tries = restart_tries_.load(std::memory_order_relaxed),
          .restart_copies = restart_copies_.load(std::memory_order_relaxed)};
}

}  // namespace muster::store::sqlite
