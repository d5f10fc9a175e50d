#include "store/sqlite_conn.h"

#include <filesystem>
#include <limits>
#include <system_error>

namespace muster::store::sqlite {

Statement::~Statement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::Bind(int i, std::string_view text) {
  // SQLITE_STATIC: the caller's buffer outlives this Statement, and the destructor clears the
  // bindings before the buffer can go away. A null data() (empty view) must still bind '' not NULL.
  const char* data = text.data() != nullptr ? text.data() : "";
  int rc = sqlite3_bind_text64(stmt_, i, data, text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int i, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, i, value);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Result<bool> Statement::Step(std::string_view what) {
  if (bind_error_ != SQLITE_OK) return conn_->ToError(bind_error_, what);
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return conn_->ToError(rc, what);
}

int Statement::StepCode() {
  if (bind_error_ != SQLITE_OK) return bind_error_;
  return sqlite3_step(stmt_);
}

Error Statement::ErrorFor(int rc, std::string_view what) const { return conn_->ToError(rc, what); }

Status Statement::Run(std::string_view what) {
  while (true) {
    MUSTER_ASSIGN_OR_RETURN(bool row, Step(what));
    if (!row) return OkStatus();
  }
}

std::string Statement::ColumnText(int i) const {
  const unsigned char* p = sqlite3_column_text(stmt_, i);
  int n = sqlite3_column_bytes(stmt_, i);  // after column_text, as SQLite requires
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}

std::int64_t Statement::ColumnInt(int i) const { return sqlite3_column_int64(stmt_, i); }

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path,
                                                     int busy_timeout_ms) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p(path);
  fs::path dir = p.parent_path();
  if (!dir.empty() && !fs::is_directory(dir, ec)) {
    return Error::Unavailable("sqlite store '" + path + "': directory '" + dir.string() +
                              "' does not exist");
  }
  if (fs::is_directory(p, ec)) {
    return Error::InvalidArgument("sqlite store '" + path + "': is a directory, not a file");
  }
  // Before SQLite's first use in the process: no memory statistics, which Muster never reads and
  // which take a process-wide mutex in every allocation and free of every connection (about 1.5%
  // of intake's CPU). Refused (SQLITE_MISUSE) if SQLite was initialised already: harmless.
  static const int kMemStatusOff = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)kMemStatusOff;
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Error::Unavailable("sqlite store '" + path + "': cannot open: " + msg);
  }
  // SQLite silently falls back to read-only when the file is write-protected; Muster always
  // writes, so refuse early with a clear message rather than fail on the first commit.
  if (sqlite3_db_readonly(db, "main") == 1) {
    sqlite3_close_v2(db);
    return Error::Unavailable("sqlite store '" + path +
                              "': file is read-only (check its permissions and owner)");
  }
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return std::unique_ptr<Connection>(new Connection(db, path, busy_timeout_ms));
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<Statement> Connection::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Statement(it->second, this);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size() + 1),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return ToError(rc, "prepare");
  }
  cache_.emplace(sql, stmt);
  return Statement(stmt, this);
}

Status Connection::Exec(const std::string& sql, std::string_view what) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return ToError(rc, what);
  return OkStatus();
}

void Connection::RollbackIfOpen() {
  if (sqlite3_get_autocommit(db_) == 0) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

Error Connection::ToError(int rc, std::string_view what) const {
  std::string msg = "sqlite store '" + path_ + "': " + std::string(what) + ": ";
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error::Unavailable(msg + "database is locked by another writer for more than " +
                                std::to_string(busy_timeout_ms_) + " ms");
    case SQLITE_TOOBIG:
      return Error::TooLarge(msg + sqlite3_errmsg(db_));
    case SQLITE_NOTADB:
      return Error::Internal(msg + "file is not a SQLite database");
    case SQLITE_CORRUPT:
      return Error::Internal(msg + "database file is corrupt: " + sqlite3_errmsg(db_));
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_PERM:
      return Error::Unavailable(msg + sqlite3_errmsg(db_));
    default:
      return Error::Internal(msg + sqlite3_errmsg(db_));
  }
}

}  // namespace muster::store::sqlite
