#pragma once
// Internal to the SQLite engine: one sqlite3 connection with a cache of prepared statements and
// the mapping from SQLite result codes to muster errors. Every message names the database path.
//
// Thread safety: none. The owner (SqliteStore) serialises every call with its own mutex; a
// Statement borrowed from the cache must be dropped before the next call that may borrow the
// same SQL text.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.h"

namespace muster::store::sqlite {

// A prepared statement borrowed from a Connection's cache. Bindings are 1-based. The statement is
// reset and its bindings cleared when the Statement goes out of scope, so bound string_views only
// need to outlive the Statement.
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, const class Connection* conn) : stmt_(stmt), conn_(conn) {}
  Statement(Statement&& other) noexcept : stmt_(other.stmt_), conn_(other.conn_) {
    other.stmt_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  Statement& Bind(int i, std::string_view text);
  Statement& Bind(int i, std::int64_t value);

  // One step: true when a row is ready, false when done. `what` names the operation in errors.
  Result<bool> Step(std::string_view what);
  // Steps to completion, ignoring result rows.
  Status Run(std::string_view what);
  // The bare step, for hot paths that name the operation only when it fails: SQLITE_ROW,
  // SQLITE_DONE or an error code (a failed Bind's first). ErrorFor maps an error code to an Error.
  int StepCode();
  Error ErrorFor(int rc, std::string_view what) const;

  std::string ColumnText(int i) const;
  std::int64_t ColumnInt(int i) const;

 private:
  sqlite3_stmt* stmt_;
  const Connection* conn_;
  int bind_error_ = SQLITE_OK;
};

class Connection {
 public:
  // Opens the file read-write (creating it), with the busy timeout set. Does not touch the schema.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, int busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // A cached prepared statement. `sql` must be built from constants only (table names), never
  // from values: values are bound.
  Result<Statement> Prepare(const std::string& sql);
  // Runs constant SQL (DDL, pragmas) without caching.
  Status Exec(const std::string& sql, std::string_view what);
  // Rolls back the open transaction, if any (a failed statement may already have rolled it back).
  void RollbackIfOpen();

  // Maps a SQLite result code (with the connection's current message) to an Error.
  Error ToError(int rc, std::string_view what) const;

  sqlite3* raw() const { return db_; }
  const std::string& path() const { return path_; }
  int busy_timeout_ms() const { return busy_timeout_ms_; }

 private:
  Connection(sqlite3* db, std::string path, int busy_timeout_ms)
      : db_(db), path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms) {}

  sqlite3* db_;
  std::string path_;
  int busy_timeout_ms_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace muster::store::sqlite
