#pragma once
// The embedded SQLite engine for store::Store (the default engine). One database file holds every
// table and the event outbox; the on-disk layout is documented at the top of sqlite_store.cc and
// for operators in docs/store.md.
//
// Several processes may open the same file at once (WAL mode, BEGIN IMMEDIATE commits that
// re-check versions inside the transaction, a busy timeout). Within a process a Store is safe
// from any thread: calls are serialised on one connection. Do not carry an open Store across
// fork(); open a new one in the child.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "store/store.h"

namespace muster::store {

struct SqliteOptions {
  std::string path;               // database file; ":memory:" and "" are rejected
  bool synchronous_full = false;  // PRAGMA synchronous=FULL instead of NORMAL (see docs/store.md)
  int busy_timeout_ms = 5000;     // how long a call waits for another writer before kUnavailable
  // Checkpoints of the write-ahead log (see sqlite_checkpointer.h): from `checkpoint_pages` pages
  // in the log not yet copied, a background thread on its own connection copies them into the
  // database; commits checkpoint themselves only when `checkpoint_max_pages` wait anyway.
  // A log of `checkpoint_restart_pages` pages is started again from its beginning (its file cut
  // back to that size): the commit that finds it so long copies what the background left of it
  // itself, a pause of a few milliseconds. This bounds the log under a steady stream of commits.
  // checkpoint_pages = 0: SQLite's own automatic checkpoint inside the commit at 1,000 pages.
  int checkpoint_pages = 1000;
  int checkpoint_max_pages = 4000;
  int checkpoint_restart_pages = 16000;
  // The frames left under `checkpoint_pages` (what a pass could not copy, and the end of a burst
  // after a pass that copied the whole log) are copied once commits pause this long: the copy and
  // its sync land in the pause, not in the next burst (docs/benchmarks.md: the end-to-end p99
  // lower with 100 ms than with 1 s), at the price of a pass per commit for commits further apart
  // than this.
  int checkpoint_rest_quiet_ms = 100;
  // The largest row or event body SQLite accepts, in bytes (SQLITE_LIMIT_LENGTH); 0: SQLite's own
  // limit (1,000,000,000). A write over it fails its batch alone (kTooLarge).
  int max_value_bytes = 0;
};

// What the background checkpointer did (an OpenSqliteStore store with checkpoint_pages > 0).
struct SqliteCheckpointStats {
  std::uint64_t background = 0;        // checkpoints on the checkpointer's thread
  std::uint64_t inline_on_commit = 0;  // by a commit that found checkpoint_max_pages not copied
  std::uint64_t caught_up = 0;         // background ones that copied the whole log
  std::uint64_t busy = 0;              // skipped: another checkpoint was running
  std::uint64_t stalled = 0;           // background passes that moved nothing (retried with a backoff up to 1 s)
  std::uint64_t failed = 0;
  int wal_pages = 0;                   // the log's size after the last commit
  int caught_up_pages = 0;             // the log's size when a background one last copied it all
  int copied_pages = 0;                // frames of the current log the last checkpoint copied
  std::uint64_t restarts = 0;          // commits that found the log started again from its beginning
  std::uint64_t restart_tries = 0;     // commits that found the log at its restart size and copied it
  std::uint64_t restart_copies = 0;    // of those, the checkpoints that ran (not failed)
};
// nullopt when `store` is not such a store.
std::optional<SqliteCheckpointStats> SqliteCheckpoints(const Store& store);

// How many group commits an OpenSqliteStore store ran a second time, with a SAVEPOINT around each
// batch, because a statement failed after its batch's conditions held (see CommitGroup in
// sqlite_store.cc); nullopt for another engine.
std::optional<std::int64_t> SqliteGroupRedos(Store& store);

// Opens (creating if absent) and migrates the database at options.path. Errors name the path:
// kInvalidArgument for a bad path, kUnavailable when the file cannot be opened or locked,
// kInternal when the file is not a usable Muster database.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace muster::store
