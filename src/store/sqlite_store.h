#pragma once
// The embedded SQLite engine for store::Store (the default engine). One database file holds every
// table and the event outbox; the on-disk layout is documented at the top of sqlite_store.cc and
// for operators in docs/store.md.
//
// Several processes may open the same file at once (WAL mode, BEGIN IMMEDIATE commits that
// re-check versions inside the transaction, a busy timeout). Within a process a Store is safe
// from any thread: calls are serialised on one connection. Do not carry an open Store across
// fork(); open a new one in the child.

#include <memory>
#include <string>

#include "common/result.h"
#include "store/store.h"

namespace muster::store {

struct SqliteOptions {
  std::string path;               // database file; ":memory:" and "" are rejected
  bool synchronous_full = false;  // PRAGMA synchronous=FULL instead of NORMAL (see docs/store.md)
  int busy_timeout_ms = 5000;     // how long a call waits for another writer before kUnavailable
};

// Opens (creating if absent) and migrates the database at options.path. Errors name the path:
// kInvalidArgument for a bad path, kUnavailable when the file cannot be opened or locked,
// kInternal when the file is not a usable Muster database.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace muster::store
