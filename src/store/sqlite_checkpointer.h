#pragma once
// Internal to the SQLite engine: checkpoints the write-ahead log on its own connection and thread,
// so that a commit does not pay for copying the log back into the database file and syncing it
// (SQLite's automatic checkpoint runs inside the commit that crosses its threshold: with the
// default 1,000 pages that made one commit in ~80 take 7–15 ms instead of 0.1–1 ms).
//
// How: the committing connection's WAL hook (Attach) reports the log's size after each commit.
// The thresholds count the log's frames not yet copied into the database (the log's size less
// what the last checkpoint copied of it; a log that was started again from its beginning counts
// from zero). From `pages` such frames on, the checkpointer thread is woken and runs PASSIVE
// checkpoints (each copies what no reader still needs and never blocks readers or writers) until
// fewer than `pages` remain, and copies those once no commit came for `quiet` (so too the frames of
// commits after a pass that copied the whole log, the end of a burst); a commit that starts
// after a checkpoint copied the whole log, with no reader in the log, reuses it from its start.
// When commits come faster than that and `max_pages` frames wait anyway, the committing thread
// runs a PASSIVE checkpoint itself (it never waits: for a reader, or for a background pass,
// which makes it return at once).
//
// Counting the copied frames matters: a log that is not started again (a reader in it at each
// commit, say the outbox's dispatcher) stays over `pages` frames long, and a threshold on its
// size woke a checkpoint, with its sync of the database file, after every commit. Those syncs
// held the commits' own log writes for up to 15 ms (ext4 journal commits, e2e latency traces).
//
// Under a steady stream of commits no background pass copies the whole log at a moment when no
// commit follows, so the log would never be reused from its start and would grow without end
// (350 MB in 8 s at 11,000 tickets/s; SQLite's own automatic checkpoint has the same flaw). So
// the commit that finds the log `restart_pages` long waits for a background pass that is running,
// copies what is left itself (PASSIVE: a pause of a few ms, once per `restart_pages` frames), and
// the next commit starts the log from its beginning, its file cut back to that size
// (journal_size_limit). If a reader in the log keeps it from starting again, the next such copy
// waits for `pages` more frames, not the next commit. (A RESTART checkpoint at the cap, which
// waits for readers and copies all of the log, without a background pass before it,
// stalled commits for hundreds of ms: docs/benchmarks.md.)
//
// Thread safety: Attach's hook runs on the committing thread (serialised by its owner's mutex);
// the checkpointer's own connection is used only by its thread; stats() from any thread. The
// destructor stops and joins the thread; destroy the checkpointer before the connection it is
// attached to.

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <string>
#include <mutex>
#include <thread>

#include "store/sqlite_conn.h"
#include "store/sqlite_store.h"

namespace muster::store::sqlite {

class Checkpointer {
 public:
  // `own` is a second connection to the same file, used only for checkpoints.
  // `quiet`: how long commits must pause before the frames left under `pages` are copied.
  Checkpointer(std::unique_ptr<Connection> own, int pages, int max_pages, int restart_pages,
               std::chrono::milliseconds quiet);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Installs the WAL hook on `committer` (this replaces SQLite's automatic checkpoint there).
  void Attach(Connection& committer);

  SqliteCheckpointStats stats() const;

 private:
  struct Pass {
    bool ok = false;         // it ran (not busy, not failed)
    bool caught_up = false;  // it copied the whole log: the next commit starts it from its beginning
    int copied = -1;         // frames of the log in the database now
    int left = 0;            // frames of the log it could not copy yet
  };
  static int OnCommit(void* self, sqlite3* db, const char* schema, int pages) noexcept;
  void Run();
  // Who runs a checkpoint: the background thread, a commit at the cap, a commit at the restart size.
  enum class Kind { kBackground, kCap, kRestart };
  // One PASSIVE checkpoint on `db`; counts it by `kind`.
  Pass Checkpoint(sqlite3* db, const char* path, Kind kind);
  // Logs `what` at most once a minute.
  void Warn(const char* path, const std::string& what);

  std::unique_ptr<Connection> own_;
  const int pages_;
  const int max_pages_;
  const int restart_pages_;
  const std::chrono::milliseconds quiet_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::mutex pass_mu_;  // held through each background pass and each restart copy
  bool wanted_ = false;    // GUARDED_BY(mu_)
  bool stopping_ = false;  // GUARDED_BY(mu_)
  bool rest_ = false;      // GUARDED_BY(mu_): frames came after the last pass; copy them once commits pause
  std::atomic<bool> idle_{false};  // the thread sleeps with the log copied as far as it knows
  std::atomic<std::uint64_t> background_{0}, inline_{0}, caught_up_{0}, busy_{0}, stalled_{0}, failed_{0};
  std::atomic<std::int64_t> last_warning_{0};  // steady seconds of the last warning
  std::atomic<int> last_pages_{0};
  std::atomic<int> copied_{0};  // frames of the current log the last checkpoint copied
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<int> caught_up_pages_{0};
  std::atomic<std::uint64_t> restarts_{0}, restart_tries_{0}, restart_copies_{0};
  std::atomic<int> restart_tried_{0};  // the log's size when a commit last copied it to restart it
  std::thread thread_;
};

}  // namespace muster::store::sqlite
