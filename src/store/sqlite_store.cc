// The SQLite engine.
//
// On-disk layout (schema version 3, kept in PRAGMA user_version):
//
//   One database file in WAL journal mode (plus the "-wal" and "-shm" files SQLite keeps beside
//   it).
//   For every store::Table, a table named TableName(t) ("identities", "tickets", ...):
//
//     CREATE TABLE <name> (
//       id      TEXT PRIMARY KEY,           -- row id, compared byte-wise (BINARY collation)
//       idx     TEXT NOT NULL DEFAULT '',   -- Row::index, the one secondary key
//       status  TEXT NOT NULL DEFAULT '',   -- Row::status, the lifecycle state
//       body    TEXT NOT NULL,              -- Row::body, a JSON document stored verbatim (UTF-8)
//       version INTEGER NOT NULL,           -- 1 on insert, +1 per update/upsert
//       updated INTEGER NOT NULL            -- Row::updated, ms since the Unix epoch
//     );
//     CREATE INDEX <name>_idx    ON <name>(idx, id);
//     CREATE INDEX <name>_status ON <name>(status, id);
//     CREATE INDEX <name>_status_updated ON <name>(status, updated);   -- version 2: retention
//
//   Version 3 added the table "cursors" (Table::kCursors, the outbox subscribers' positions).
//
//   The outbox:
//
//     CREATE TABLE events (
//       seq   INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, even after TrimEvents
//       topic TEXT NOT NULL,
//       body  TEXT NOT NULL,
//       time  INTEGER NOT NULL                    -- ms since the Unix epoch
//     );
//
// Migrations: kMigrations[v] moves a database from schema version v to v+1. Opening runs every
// missing step inside one BEGIN IMMEDIATE transaction (so two processes opening a fresh file do
// not both migrate) and then sets user_version. A file with a newer version than this build knows
// is refused.
//
// Concurrency: every Commit is BEGIN IMMEDIATE (takes the write lock up front, so two writers
// never deadlock upgrading read locks), re-reads the version of each written row inside the
// transaction, and COMMITs. A group commit (CommitGroup) is one such transaction with each batch
// inside its own SAVEPOINT, rolled back alone when its condition fails. Readers never block writers
// in WAL mode. Within the process one
// connection is shared behind mu_.

#include "store/sqlite_store.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <mutex>
#include <optional>
#include <map>
#include <string_view>
#include <thread>

#include "store/sqlite_checkpointer.h"
#include "store/sqlite_conn.h"

namespace muster::store {
namespace {

using sqlite::Connection;
using sqlite::Statement;

// ---- schema -------------------------------------------------------------------------------

// The tables of schema version 1 (the enum's first ones); later versions add theirs.
constexpr int kTablesV1 = 16;

Status MigrateTo1(Connection& conn) {
  for (int i = 0; i < kTablesV1; ++i) {
    std::string name = TableName(static_cast<Table>(i));
    MUSTER_RETURN_IF_ERROR(conn.Exec(
        "CREATE TABLE " + name +
            " (id TEXT PRIMARY KEY, idx TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT '',"
            " body TEXT NOT NULL, version INTEGER NOT NULL, updated INTEGER NOT NULL);"
            "CREATE INDEX " + name + "_idx ON " + name + "(idx, id);"
            "CREATE INDEX " + name + "_status ON " + name + "(status, id);",
        "create table " + name));
  }
  return conn.Exec(
      "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL,"
      " body TEXT NOT NULL, time INTEGER NOT NULL);",
      "create table events");
}

// Retention purges ended rows oldest first, per status.
Status MigrateTo2(Connection& conn) {
  for (int i = 0; i < kTablesV1; ++i) {
    std::string name = TableName(static_cast<Table>(i));
    MUSTER_RETURN_IF_ERROR(conn.Exec("CREATE INDEX " + name + "_status_updated ON " + name +
                                         "(status, updated);",
                                     "create index " + name + "_status_updated"));
  }
  return OkStatus();
}

// The outbox subscribers' cursors (a table of the common shape, with every index).
Status MigrateTo3(Connection& conn) {
  return conn.Exec(
      "CREATE TABLE cursors (id TEXT PRIMARY KEY, idx TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT '',"
      " body TEXT NOT NULL, version INTEGER NOT NULL, updated INTEGER NOT NULL);"
      "CREATE INDEX cursors_idx ON cursors(idx, id);"
      "CREATE INDEX cursors_status ON cursors(status, id);"
      "CREATE INDEX cursors_status_updated ON cursors(status, updated);",
      "create table cursors");
}

using MigrationStep = Status (*)(Connection&);
constexpr std::array<MigrationStep, 3> kMigrations = {&MigrateTo1, &MigrateTo2, &MigrateTo3};
constexpr std::int64_t kSchemaVersion = static_cast<std::int64_t>(kMigrations.size());

Result<std::int64_t> ReadUserVersion(Connection& conn) {
  MUSTER_ASSIGN_OR_RETURN(Statement st, conn.Prepare("PRAGMA user_version"));
  MUSTER_ASSIGN_OR_RETURN(bool row, st.Step("read schema version"));
  return row ? st.ColumnInt(0) : 0;
}

Status CheckNotNewer(const Connection& conn, std::int64_t version) {
  if (version <= kSchemaVersion) return OkStatus();
  return Error::Internal("sqlite store '" + conn.path() + "': schema version " +
                         std::to_string(version) + " is newer than this build supports (" +
                         std::to_string(kSchemaVersion) + "); upgrade muster");
}

Status MigrateLocked(Connection& conn) {
  MUSTER_ASSIGN_OR_RETURN(std::int64_t version, ReadUserVersion(conn));
  for (std::int64_t v = version; v < kSchemaVersion; ++v) {
    MUSTER_RETURN_IF_ERROR(kMigrations[static_cast<std::size_t>(v)](conn));
  }
  // PRAGMA takes no bound parameters; the value is our own constant.
  return conn.Exec("PRAGMA user_version = " + std::to_string(kSchemaVersion),
                   "set schema version");
}

Status Migrate(Connection& conn) {
  MUSTER_ASSIGN_OR_RETURN(std::int64_t version, ReadUserVersion(conn));
  MUSTER_RETURN_IF_ERROR(CheckNotNewer(conn, version));
  if (version == kSchemaVersion) return OkStatus();
  MUSTER_RETURN_IF_ERROR(conn.Exec("BEGIN IMMEDIATE", "begin migration"));
  // Re-read under the write lock: another process may have migrated meanwhile.
  Status st = [&]() -> Status {
    MUSTER_ASSIGN_OR_RETURN(std::int64_t locked_version, ReadUserVersion(conn));
    MUSTER_RETURN_IF_ERROR(CheckNotNewer(conn, locked_version));
    if (locked_version == kSchemaVersion) return OkStatus();
    return MigrateLocked(conn);
  }();
  if (!st.ok()) {
    conn.RollbackIfOpen();
    return st;
  }
  Status commit = conn.Exec("COMMIT", "commit migration");
  if (!commit.ok()) conn.RollbackIfOpen();
  return commit;
}

// One attempt at switching to WAL: SQLITE_OK with the resulting mode, or the SQLite error code.
int TrySetWal(Connection& conn, std::string* mode) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(conn.raw(), "PRAGMA journal_mode=WAL", -1, &st, nullptr);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(st, 0);
      *mode = text != nullptr ? reinterpret_cast<const char*>(text) : "";
      rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(st);
  return rc;
}

Status EnableWal(Connection& conn) {
  // Switching a fresh file to WAL needs an exclusive lock and SQLite reports SQLITE_BUSY at once,
  // without the busy handler, when another process is opening the same file at the same moment
  // (it then finds the file already in WAL mode). Retry within the busy timeout.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(conn.busy_timeout_ms());
  while (true) {
    std::string mode;
    int rc = TrySetWal(conn, &mode);
    if (rc == SQLITE_OK) {
      if (mode == "wal") return OkStatus();
      return Error::Internal("sqlite store '" + conn.path() +
                             "': cannot enable WAL journal mode (got '" + mode + "')");
    }
    bool busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
    if (!busy || std::chrono::steady_clock::now() >= deadline) {
      return conn.ToError(rc, "enable WAL");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

Status Configure(Connection& conn, const SqliteOptions& options) {
  MUSTER_RETURN_IF_ERROR(EnableWal(conn));
  if (options.max_value_bytes > 0) {
    sqlite3_limit(conn.raw(), SQLITE_LIMIT_LENGTH, options.max_value_bytes);
  }
  // A batch run inside a SAVEPOINT journals the pages it touches; in memory, not in a temporary
  // file that spills past 64 KiB.
  MUSTER_RETURN_IF_ERROR(conn.Exec("PRAGMA temp_store=MEMORY", "set temp_store"));
  return conn.Exec(options.synchronous_full ? "PRAGMA synchronous=FULL"
                                            : "PRAGMA synchronous=NORMAL",
                   "set synchronous");
}

// ---- engine -------------------------------------------------------------------------------

// SQL text per table, built once from constant table names.
struct TableSql {
  std::string get, version, insert, update, upsert, del, list_index, list_status, list_all, purge;
};

TableSql MakeTableSql(Table t) {
  const std::string n = TableName(t);
  const std::string cols = "id, idx, status, body, version, updated";
  TableSql s;
  s.get = "SELECT " + cols + " FROM " + n + " WHERE id = ?1";
  s.version = "SELECT version FROM " + n + " WHERE id = ?1";
  s.insert = "INSERT INTO " + n + " (" + cols + ") VALUES (?1, ?2, ?3, ?4, 1, ?5)";
  s.update = "UPDATE " + n +
             " SET idx = ?2, status = ?3, body = ?4, version = version + 1, updated = ?5"
             " WHERE id = ?1";
  s.upsert = "INSERT INTO " + n + " (" + cols + ") VALUES (?1, ?2, ?3, ?4, 1, ?5)" +
             " ON CONFLICT(id) DO UPDATE SET idx = excluded.idx, status = excluded.status,"
             " body = excluded.body, version = " + n + ".version + 1,"
             " updated = excluded.updated";
  s.del = "DELETE FROM " + n + " WHERE id = ?1";
  s.list_index = "SELECT " + cols + " FROM " + n + " WHERE idx = ?1 ORDER BY id LIMIT ?2";
  s.list_status = "SELECT " + cols + " FROM " + n +
                  " WHERE status = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
  s.list_all = "SELECT " + cols + " FROM " + n + " WHERE id > ?1 ORDER BY id LIMIT ?2";
  s.purge = "DELETE FROM " + n + " WHERE rowid IN (SELECT rowid FROM " + n +
            " WHERE status = ?1 AND updated < ?2 ORDER BY updated LIMIT ?3)";
  return s;
}

bool ValidTable(Table t) {
  int i = static_cast<int>(t);
  return i >= 0 && i < kTableCount;
}

bool ValidOp(Write::Op op) {
  int i = static_cast<int>(op);
  return i >= static_cast<int>(Write::Op::kInsert) && i <= static_cast<int>(Write::Op::kDelete);
}

std::int64_t ClampLimit(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(limit > kMax ? kMax : limit);
}

Row ReadRow(const Statement& st) {
  Row r;
  r.id = st.ColumnText(0);
  r.index = st.ColumnText(1);
  r.status = st.ColumnText(2);
  r.body = st.ColumnText(3);
  r.version = st.ColumnInt(4);
  r.updated = st.ColumnInt(5);
  return r;
}

Result<std::vector<Row>> CollectRows(Statement& st, std::string_view what) {
  std::vector<Row> rows;
  while (true) {
    MUSTER_ASSIGN_OR_RETURN(bool row, st.Step(what));
    if (!row) return rows;
    rows.push_back(ReadRow(st));
  }
}

const char* OpName(Write::Op op) {
  switch (op) {
    case Write::Op::kInsert: return "insert";
    case Write::Op::kUpdate: return "update";
    case Write::Op::kUpsert: return "upsert";
    case Write::Op::kDelete: return "delete";
  }
  return "write";
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Connection> conn, std::unique_ptr<sqlite::Checkpointer> checkpointer)
      : conn_(std::move(conn)), checkpointer_(std::move(checkpointer)) {
    for (int i = 0; i < kTableCount; ++i) sql_[i] = MakeTableSql(static_cast<Table>(i));
    if (checkpointer_) checkpointer_->Attach(*conn_);
  }
  ~SqliteStore() override {
    if (checkpointer_) sqlite3_wal_hook(conn_->raw(), nullptr, nullptr);
    checkpointer_.reset();  // before the connection it was attached to
  }

  std::optional<SqliteCheckpointStats> checkpoints() const {
    if (!checkpointer_) return std::nullopt;
    return checkpointer_->stats();
  }

  Result<std::optional<Row>> Get(Table table, std::string_view id) override {
    if (!ValidTable(table)) return BadTable(table);
    std::lock_guard lock(mu_);
    MUSTER_ASSIGN_OR_RETURN(Statement st, conn_->Prepare(Sql(table).get));
    st.Bind(1, id);
    MUSTER_ASSIGN_OR_RETURN(bool row, st.Step(std::string("get from ") + TableName(table)));
    if (!row) return std::optional<Row>();
    return std::optional<Row>(ReadRow(st));
  }

  Result<std::vector<Row>> ListByIndex(Table table, std::string_view index,
                                       std::size_t limit) override {
    if (!ValidTable(table)) return BadTable(table);
    std::lock_guard lock(mu_);
    MUSTER_ASSIGN_OR_RETURN(Statement st, conn_->Prepare(Sql(table).list_index));
    st.Bind(1, index).Bind(2, ClampLimit(limit));
    return CollectRows(st, std::string("list by index from ") + TableName(table));
  }

  Result<std::vector<Row>> ListByStatus(Table table, std::string_view status,
                                        std::string_view after_id, std::size_t limit) override {
    if (!ValidTable(table)) return BadTable(table);
    std::lock_guard lock(mu_);
    MUSTER_ASSIGN_OR_RETURN(Statement st, conn_->Prepare(Sql(table).list_status));
    st.Bind(1, status).Bind(2, after_id).Bind(3, ClampLimit(limit));
    return CollectRows(st, std::string("list by status from ") + TableName(table));
  }

  Result<std::vector<Row>> List(Table table, std::string_view after_id,
                                std::size_t limit) override {
    if (!ValidTable(table)) return BadTable(table);
    std::lock_guard lock(mu_);
    MUSTER_ASSIGN_OR_RETURN(Statement st, conn_->Prepare(Sql(table).list_all));
    st.Bind(1, after_id).Bind(2, ClampLimit(limit));
    return CollectRows(st, std::string("list ") + TableName(table));
  }

  Status Commit(const std::vector<Write>& writes,
                const std::vector<EventAppend>& events) override {
    MUSTER_RETURN_IF_ERROR(Validate(writes));
    if (writes.empty() && events.empty()) return OkStatus();
    std::lock_guard lock(mu_);
    MUSTER_RETURN_IF_ERROR(RunConstant("BEGIN IMMEDIATE", "begin commit"));
    Status st = [&]() -> Status {
      MUSTER_RETURN_IF_ERROR(ApplyAll(writes, events));
      return RunConstant("COMMIT", "commit");
    }();
    if (!st.ok()) conn_->RollbackIfOpen();
    return st;
  }

  // One BEGIN IMMEDIATE ... COMMIT for the whole group. A batch's conditions are checked before
  // any of its writes, so a batch that fails its condition has written nothing and needs no
  // SAVEPOINT (each one made SQLite copy every page the batch touched into a sub-journal). A
  // batch that writes one row twice runs inside a SAVEPOINT (its second write's condition depends
  // on its first). A statement that fails after its batch's checks held (a row too big...) cannot
  // be undone alone without one: the group is rolled back and run again, every batch inside its
  // own SAVEPOINT, rolled back alone when it fails.
  Result<std::vector<Status>> CommitGroup(const std::vector<Batch>& batches) override {
    std::vector<Status> valid(batches.size());
    bool any = false;
    for (std::size_t i = 0; i < batches.size(); ++i) {
      valid[i] = Validate(batches[i].writes);
      any = any || (valid[i].ok() && !batches[i].empty());
    }
    std::unique_lock lock(mu_, std::defer_lock);
    if (any) lock.lock();
    auto fast = RunGroup(batches, valid, any, /*savepoints=*/false);
    if (fast.has_value()) return *std::move(fast);
    ++group_redos_;
    return *RunGroup(batches, valid, any, /*savepoints=*/true);
  }

  // How many groups were run again with a SAVEPOINT per batch (for tests).
  std::int64_t group_redos() {
    std::lock_guard lock(mu_);
    return group_redos_;
  }

  Result<std::vector<Event>> ReadEvents(std::int64_t after_seq, std::size_t limit) override {
    std::lock_guard lock(mu_);
    MUSTER_ASSIGN_OR_RETURN(
        Statement st,
        conn_->Prepare("SELECT seq, topic, body, time FROM events WHERE seq > ?1 "
                       "ORDER BY seq LIMIT ?2"));
    st.Bind(1, after_seq).Bind(2, ClampLimit(limit));
    std::vector<Event> out;
    while (true) {
      MUSTER_ASSIGN_OR_RETURN(bool row, st.Step("read events"));
      if (!row) return out;
      Event e;
      e.seq = st.ColumnInt(0);
      e.topic = st.ColumnText(1);
      e.body = st.ColumnText(2);
      e.time = st.ColumnInt(3);
      out.push_back(std::move(e));
    }
  }

  Result<std::int64_t> LastEventSeq() override {
    std::lock_guard lock(mu_);
    // AUTOINCREMENT keeps the highest seq ever used in sqlite_sequence (no row before the first).
    MUSTER_ASSIGN_OR_RETURN(Statement st,
                            conn_->Prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'"));
    MUSTER_ASSIGN_OR_RETURN(bool row, st.Step("read the last event seq"));
    return row ? st.ColumnInt(0) : 0;
  }

  Status TrimEvents(std::int64_t up_to_seq) override {
    std::lock_guard lock(mu_);
    MUSTER_ASSIGN_OR_RETURN(Statement st, conn_->Prepare("DELETE FROM events WHERE seq <= ?1"));
    st.Bind(1, up_to_seq);
    return st.Run("trim events");
  }

  Result<std::size_t> PurgeByStatus(Table table, std::string_view status, Millis updated_before,
                                    std::size_t limit) override {
    if (!ValidTable(table)) return BadTable(table);
    std::lock_guard lock(mu_);
    MUSTER_ASSIGN_OR_RETURN(Statement st, conn_->Prepare(Sql(table).purge));
    st.Bind(1, status).Bind(2, static_cast<std::int64_t>(updated_before)).Bind(3, ClampLimit(limit));
    MUSTER_RETURN_IF_ERROR(st.Run(std::string("purge ") + TableName(table)));
    return static_cast<std::size_t>(sqlite3_changes(conn_->raw()));
  }

  std::string Engine() const override { return "sqlite"; }

 private:
  const TableSql& Sql(Table t) const { return sql_[static_cast<int>(t)]; }

  static Error BadTable(Table t) {
    return Error::InvalidArgument("invalid store table " + std::to_string(static_cast<int>(t)));
  }

  // REQUIRES: mu_ is held.
  Status RunConstant(const char* sql, std::string_view what) {
    MUSTER_ASSIGN_OR_RETURN(Statement st, conn_->Prepare(sql));
    return st.Run(what);
  }

  // The stored version of a row, 0 when absent. REQUIRES: mu_ is held.
  Result<std::int64_t> StoredVersion(Table t, const std::string& id) {
    MUSTER_ASSIGN_OR_RETURN(Statement st, conn_->Prepare(Sql(t).version));
    st.Bind(1, id);
    int rc = st.StepCode();
    if (rc == SQLITE_ROW) return st.ColumnInt(0);
    if (rc == SQLITE_DONE) return 0;
    return st.ErrorFor(rc, std::string("read version in ") + TableName(t));
  }

  // One run of a group (see CommitGroup); nullopt when a batch failed after its checks held and
  // the group must run again with savepoints. REQUIRES: mu_ is held when `any`.
  std::optional<Result<std::vector<Status>>> RunGroup(const std::vector<Batch>& batches,
                                                      const std::vector<Status>& valid, bool any,
                                                      bool savepoints) {
    std::vector<Status> out = valid;
    // The first failed batch of each shard: the shard's LATER batches are not applied.
    std::map<std::string_view, std::size_t> first_failure;
    auto after_failure = [&](std::size_t i) {
      const std::string& shard = batches[i].shard;
      if (shard.empty()) return false;
      auto it = first_failure.find(shard);
      if (it == first_failure.end() || it->second >= i) return false;
      out[i] = Error::Unavailable("not applied: an earlier commit of shard '" + shard +
                                  "' in the same group failed");
      return true;
    };
    auto failed = [&](std::size_t i) {
      if (batches[i].shard.empty()) return;
      auto [it, inserted] = first_failure.emplace(batches[i].shard, i);
      if (!inserted && i < it->second) it->second = i;
    };
    for (std::size_t i = 0; i < batches.size(); ++i) {
      if (!out[i].ok()) failed(i);
    }
    if (!any) {
      for (std::size_t i = 0; i < batches.size(); ++i) after_failure(i);
      return out;
    }
    bool redo = false;
    MUSTER_RETURN_IF_ERROR(RunConstant("BEGIN IMMEDIATE", "begin group commit"));
    Status st = [&]() -> Status {
      for (std::size_t i = 0; i < batches.size(); ++i) {
        if (after_failure(i) || !out[i].ok() || batches[i].empty()) continue;
        const Batch& b = batches[i];
        Status applied;
        if (savepoints || RepeatsARow(b.writes)) {
          MUSTER_RETURN_IF_ERROR(RunConstant("SAVEPOINT muster_batch", "begin batch"));
          applied = ApplyAll(b.writes, b.events);
          if (!applied.ok() && sqlite3_get_autocommit(conn_->raw()) == 0) {
            MUSTER_RETURN_IF_ERROR(RunConstant("ROLLBACK TO muster_batch", "undo batch"));
          }
          if (sqlite3_get_autocommit(conn_->raw()) == 0) {
            MUSTER_RETURN_IF_ERROR(RunConstant("RELEASE muster_batch", "end batch"));
          }
        } else {
          applied = CheckAll(b.writes);  // writes nothing: a failure needs no undo
          if (applied.ok()) {
            applied = ApplyChecked(b.writes, b.events);
            if (!applied.ok()) redo = sqlite3_get_autocommit(conn_->raw()) == 0;
            if (!applied.ok()) return applied;
          }
        }
        if (!applied.ok()) {
          // A failed condition, or a statement error that left the transaction open, fails this
          // batch alone. If SQLite rolled the transaction back itself (I/O error, full disk...),
          // the whole group failed.
          if (sqlite3_get_autocommit(conn_->raw()) != 0) return applied;
          out[i] = std::move(applied);
          failed(i);
        }
      }
      return RunConstant("COMMIT", "group commit");
    }();
    if (!st.ok()) {
      conn_->RollbackIfOpen();
      if (redo) return std::nullopt;
      return Result<std::vector<Status>>(st.take_error());
    }
    return out;
  }

  // True when two writes of a batch name the same row.
  static bool RepeatsARow(const std::vector<Write>& writes) {
    if (writes.size() < 2) return false;
    std::vector<std::pair<Table, std::string_view>> rows;
    rows.reserve(writes.size());
    for (const Write& w : writes) rows.emplace_back(w.table, w.row.id);
    std::sort(rows.begin(), rows.end());
    return std::adjacent_find(rows.begin(), rows.end()) != rows.end();
  }

  // Reads the stored version of every write's row (but an upsert's, which has no condition) into
  // checked_versions_ and checks each condition. Writes nothing. REQUIRES: mu_ is held, a write
  // transaction is open, and no two writes name the same row.
  Status CheckAll(const std::vector<Write>& writes) {
    checked_versions_.clear();
    for (const Write& w : writes) {
      std::int64_t actual = 0;
      if (w.op != Write::Op::kUpsert) {
        MUSTER_ASSIGN_OR_RETURN(actual, StoredVersion(w.table, w.row.id));
        MUSTER_RETURN_IF_ERROR(CheckCondition(w, actual));
      }
      checked_versions_.push_back(actual);
    }
    return OkStatus();
  }

  // Applies writes whose conditions CheckAll found to hold, and appends the events.
  Status ApplyChecked(const std::vector<Write>& writes, const std::vector<EventAppend>& events) {
    for (std::size_t i = 0; i < writes.size(); ++i) {
      MUSTER_RETURN_IF_ERROR(Perform(writes[i], checked_versions_[i]));
    }
    return AppendAll(events);
  }

  static Error ConflictError(const Write& w, std::int64_t actual) {
    std::string msg = std::string(OpName(w.op)) + " " + TableName(w.table) + " id '" + w.row.id +
                      "': ";
    if (w.op == Write::Op::kInsert) {
      return Error::Conflict(msg + "row already exists (version " + std::to_string(actual) + ")");
    }
    msg += "expected version " + std::to_string(w.expected_version) + ", ";
    msg += actual == 0 ? std::string("row does not exist")
                       : "actual version " + std::to_string(actual);
    return Error::Conflict(msg);
  }

  // Writes bind the row fields in the same order in every statement: ?1 id .. ?5 updated.
  Status RunRowStatement(const std::string& sql, const Write& w) {
    MUSTER_ASSIGN_OR_RETURN(Statement st, conn_->Prepare(sql));
    st.Bind(1, w.row.id).Bind(2, w.row.index).Bind(3, w.row.status).Bind(4, w.row.body);
    st.Bind(5, static_cast<std::int64_t>(w.row.updated));
    int rc = st.StepCode();
    if (rc == SQLITE_DONE) return OkStatus();
    return st.ErrorFor(rc, std::string(OpName(w.op)) + " " + TableName(w.table) + " id '" +
                               w.row.id + "'");
  }

  static Status Validate(const std::vector<Write>& writes) {
    for (const Write& w : writes) {
      if (!ValidTable(w.table)) return BadTable(w.table);
      if (!ValidOp(w.op)) {
        return Error::InvalidArgument("invalid write op " + std::to_string(static_cast<int>(w.op)) +
                                      " for " + TableName(w.table));
      }
      if (w.row.id.empty()) {
        return Error::InvalidArgument(std::string(OpName(w.op)) + " into " +
                                      TableName(w.table) + ": empty row id");
      }
    }
    return OkStatus();
  }

  // REQUIRES: mu_ is held and a write transaction is open.
  Status ApplyAll(const std::vector<Write>& writes, const std::vector<EventAppend>& events) {
    for (const Write& w : writes) MUSTER_RETURN_IF_ERROR(Apply(w));
    return AppendAll(events);
  }

  // REQUIRES: mu_ is held and a write transaction is open.
  Status Apply(const Write& w) {
    if (w.op == Write::Op::kUpsert) return Perform(w, 0);
    MUSTER_ASSIGN_OR_RETURN(std::int64_t actual, StoredVersion(w.table, w.row.id));
    MUSTER_RETURN_IF_ERROR(CheckCondition(w, actual));
    return Perform(w, actual);
  }

  // Whether a write's condition holds against its row's stored version (0: absent).
  static Status CheckCondition(const Write& w, std::int64_t actual) {
    switch (w.op) {
      case Write::Op::kInsert:
        if (actual != 0) return ConflictError(w, actual);
        return OkStatus();
      case Write::Op::kUpdate:
        if (actual == 0 || actual != w.expected_version) return ConflictError(w, actual);
        return OkStatus();
      case Write::Op::kDelete:
        if (w.expected_version != 0 && actual != w.expected_version) {
          return ConflictError(w, actual);
        }
        return OkStatus();
      case Write::Op::kUpsert:
        return OkStatus();
    }
    return Error::InvalidArgument("invalid write op " + std::to_string(static_cast<int>(w.op)));
  }

  // Runs a write's statement, its condition already checked against `actual`.
  // REQUIRES: mu_ is held and a write transaction is open.
  Status Perform(const Write& w, std::int64_t actual) {
    const TableSql& sql = Sql(w.table);
    switch (w.op) {
      case Write::Op::kInsert: return RunRowStatement(sql.insert, w);
      case Write::Op::kUpdate: return RunRowStatement(sql.update, w);
      case Write::Op::kUpsert: return RunRowStatement(sql.upsert, w);
      case Write::Op::kDelete: {
        if (actual == 0) return OkStatus();
        MUSTER_ASSIGN_OR_RETURN(Statement st, conn_->Prepare(sql.del));
        st.Bind(1, w.row.id);
        return st.Run(std::string("delete ") + TableName(w.table) + " id '" + w.row.id + "'");
      }
    }
    return Error::InvalidArgument("invalid write op " + std::to_string(static_cast<int>(w.op)));
  }

  // REQUIRES: mu_ is held and a write transaction is open.
  Status AppendAll(const std::vector<EventAppend>& events) {
    for (const EventAppend& e : events) MUSTER_RETURN_IF_ERROR(Append(e));
    return OkStatus();
  }

  // REQUIRES: mu_ is held and a write transaction is open.
  Status Append(const EventAppend& e) {
    MUSTER_ASSIGN_OR_RETURN(
        Statement st, conn_->Prepare("INSERT INTO events (topic, body, time) VALUES (?1, ?2, ?3)"));
    st.Bind(1, e.topic).Bind(2, e.body).Bind(3, static_cast<std::int64_t>(e.time));
    return st.Run("append event");
  }

  std::mutex mu_;
  std::unique_ptr<Connection> conn_;  // GUARDED_BY(mu_)
  std::unique_ptr<sqlite::Checkpointer> checkpointer_;
  std::array<TableSql, kTableCount> sql_;
  std::vector<std::int64_t> checked_versions_;  // GUARDED_BY(mu_): CheckAll's, for ApplyChecked
  std::int64_t group_redos_ = 0;                // GUARDED_BY(mu_)
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  if (options.path.empty()) return Error::InvalidArgument("sqlite store: empty database path");
  if (options.path == ":memory:" || options.path.rfind("file:", 0) == 0) {
    return Error::InvalidArgument("sqlite store '" + options.path +
                                  "': in-memory and URI paths are not supported; give a file path");
  }
  if (options.busy_timeout_ms < 0) {
    return Error::InvalidArgument("sqlite store '" + options.path + "': negative busy timeout");
  }
  MUSTER_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn,
                          Connection::Open(options.path, options.busy_timeout_ms));
  MUSTER_RETURN_IF_ERROR(Configure(*conn, options));
  MUSTER_RETURN_IF_ERROR(Migrate(*conn));
  std::unique_ptr<sqlite::Checkpointer> checkpointer;
  if (options.checkpoint_pages > 0) {
    if (options.checkpoint_max_pages < options.checkpoint_pages) {
      return Error::InvalidArgument("sqlite store '" + options.path +
                                    "': checkpoint_max_pages is below checkpoint_pages");
    }
    if (options.checkpoint_rest_quiet_ms < 0) {
      return Error::InvalidArgument("sqlite store '" + options.path + "': negative checkpoint_rest_quiet_ms");
    }
    if (options.checkpoint_restart_pages < options.checkpoint_pages) {
      return Error::InvalidArgument("sqlite store '" + options.path +
                                    "': checkpoint_restart_pages is below checkpoint_pages");
    }
    // Once the log restarts, its file is cut back to about the restart size (it would keep its
    // largest): that many frames (a 4 KiB page and a 24-byte header each) and a threshold's worth
    // more, so that a log restarted at its restart size is not cut and grown again each time.
    const std::int64_t frames =
        static_cast<std::int64_t>(options.checkpoint_restart_pages) + options.checkpoint_pages;
    MUSTER_RETURN_IF_ERROR(
        conn->Exec("PRAGMA journal_size_limit=" + std::to_string(frames * 4120 + 32),
                   "set journal_size_limit"));
    MUSTER_ASSIGN_OR_RETURN(std::unique_ptr<Connection> own,
                            Connection::Open(options.path, options.busy_timeout_ms));
    MUSTER_RETURN_IF_ERROR(Configure(*own, options));
    checkpointer = std::make_unique<sqlite::Checkpointer>(std::move(own), options.checkpoint_pages,
                                                          options.checkpoint_max_pages,
                                                          options.checkpoint_restart_pages,
                                                          std::chrono::milliseconds(options.checkpoint_rest_quiet_ms));
  }
  return std::unique_ptr<Store>(new SqliteStore(std::move(conn), std::move(checkpointer)));
}

std::optional<SqliteCheckpointStats> SqliteCheckpoints(const Store& store) {
  auto* s = dynamic_cast<const SqliteStore*>(&store);
  if (s == nullptr) return std::nullopt;
  return s->checkpoints();
}

std::optional<std::int64_t> SqliteGroupRedos(Store& store) {
  auto* s = dynamic_cast<SqliteStore*>(&store);
  if (s == nullptr) return std::nullopt;
  return s->group_redos();
}

}  // namespace muster::store
