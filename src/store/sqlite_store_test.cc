// The SQLite engine: the conformance suite plus what only SQLite has (WAL, files, processes).

#include "store/sqlite_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "store/conformance_util.h"
#include "store/store_conformance.h"

namespace muster::store {
namespace {

using testing::CasIncrement;
using testing::CodeOf;
using ::testing::HasSubstr;
using testing::MakeRow;
using testing::MustEvents;
using testing::MustGet;

std::unique_ptr<Store> OpenForConformance(const std::string& dir) {
  auto s = OpenSqliteStore({.path = dir + "/muster.db"});
  if (!s.ok()) {
    ADD_FAILURE() << s.error().message;
    return nullptr;
  }
  return std::move(s).value();
}

MUSTER_STORE_CONFORMANCE(Sqlite, OpenForConformance);

// ---- SQLite-specific ----------------------------------------------------------------------

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "muster-sqlite-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/muster.db";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::unique_ptr<Store> MustOpen(SqliteOptions o = {}) {
    if (o.path.empty()) o.path = path_;
    auto s = OpenSqliteStore(o);
    if (!s.ok()) {
      ADD_FAILURE() << s.error().message;
      return nullptr;
    }
    return std::move(s).value();
  }

  // A raw connection for looking under the engine.
  sqlite3* RawOpen() {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    return db;
  }
  static std::string QueryText(sqlite3* db, const char* sql) {
    sqlite3_stmt* st = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* p = sqlite3_column_text(st, 0);
      if (p != nullptr) out = reinterpret_cast<const char*>(p);
    }
    sqlite3_finalize(st);
    return out;
  }

  std::string dir_;
  std::string path_;
};

// Runs fn in a forked child and returns its exit code (or 128+signal). The child never returns
// into GoogleTest.
int RunInChild(const std::function<int()>& fn) {
  pid_t pid = fork();
  if (pid == 0) _exit(fn());
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

TEST_F(SqliteStoreTest, UsesWalAndCurrentSchema) {
  auto s = MustOpen();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->Engine(), "sqlite");
  sqlite3* db = RawOpen();
  EXPECT_EQ(QueryText(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryText(db, "PRAGMA user_version"), "3");
  std::set<std::string> names;
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type IN ('table','index')",
                               -1, &st, nullptr),
            SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    names.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  }
  sqlite3_finalize(st);
  for (int i = 0; i < kTableCount; ++i) {
    std::string t = TableName(static_cast<Table>(i));
    EXPECT_TRUE(names.count(t)) << t;
    EXPECT_TRUE(names.count(t + "_idx")) << t;
    EXPECT_TRUE(names.count(t + "_status")) << t;
    EXPECT_TRUE(names.count(t + "_status_updated")) << t;
  }
  EXPECT_TRUE(names.count("events"));
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, AVersion1FileIsMigratedKeepingItsRows) {
  {
    auto s = MustOpen();
    ASSERT_NE(s, nullptr);
    ASSERT_TRUE(s->Commit({Write::Insert(Table::kTickets, MakeRow("old", "", "COMPLETED", "{}", 5))}).ok());
  }
  // Back to what version 1 had: no retention index, no cursors table.
  sqlite3* db = RawOpen();
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE cursors", nullptr, nullptr, nullptr), SQLITE_OK);
  for (int i = 0; i < kTableCount - 1; ++i) {
    std::string drop = std::string("DROP INDEX ") + TableName(static_cast<Table>(i)) + "_status_updated";
    ASSERT_EQ(sqlite3_exec(db, drop.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  }
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 1", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto s = MustOpen();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(MustGet(*s, Table::kTickets, "old").status, "COMPLETED");
  db = RawOpen();
  EXPECT_EQ(QueryText(db, "PRAGMA user_version"), "3");
  EXPECT_EQ(QueryText(db, "SELECT count(*) FROM sqlite_master WHERE name = 'tickets_status_updated'"), "1");
  EXPECT_EQ(QueryText(db, "SELECT count(*) FROM sqlite_master WHERE name = 'cursors'"), "1");
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, CoalescedWritesLeaveWhatTheWritesOneByOneWouldLeave) {
  std::vector<Write> writes = {
      Write::Insert(Table::kTickets, MakeRow("t1", "p", "QUEUED", "{\"n\":1}", 1)),
      Write::Upsert(Table::kTickets, MakeRow("t1", "p", "SEARCHING", "{\"n\":2}", 2)),
      Write::Upsert(Table::kMatches, MakeRow("t1", "", "", "{}", 2)),  // another table, same id
      Write::Upsert(Table::kTickets, MakeRow("t1", "p", "COMPLETED", "{\"n\":3}", 3)),
      Write::Upsert(Table::kFleets, MakeRow("f", "", "", "{\"v\":1}", 1)),
      Write::Delete(Table::kFleets, "f"),
      Write::Upsert(Table::kFleets, MakeRow("f", "", "", "{\"v\":2}", 4)),
      // An Update counts on the versions of the writes before it: none of them is folded.
      Write::Upsert(Table::kQueues, MakeRow("q", "", "", "{\"v\":1}", 1)),
      Write::Upsert(Table::kQueues, MakeRow("q", "", "", "{\"v\":2}", 1)),
      Write::Update(Table::kQueues, MakeRow("q", "", "", "{\"v\":3}", 1), 2),
  };
  CoalesceWrites(&writes);
  ASSERT_EQ(writes.size(), 8u);
  EXPECT_EQ(writes[0].op, Write::Op::kInsert);
  EXPECT_EQ(writes[0].row.status, "COMPLETED");
  EXPECT_EQ(writes[1].table, Table::kMatches);
  EXPECT_EQ(writes[2].op, Write::Op::kUpsert);  // f: kept apart from the Delete
  EXPECT_EQ(writes[3].op, Write::Op::kDelete);
  EXPECT_EQ(writes[4].row.body, "{\"v\":2}");
  auto s = MustOpen();
  ASSERT_NE(s, nullptr);
  ASSERT_OK(s->Commit(writes));
  Row t1 = MustGet(*s, Table::kTickets, "t1");
  EXPECT_EQ(t1.status, "COMPLETED");
  EXPECT_EQ(t1.body, "{\"n\":3}");
  EXPECT_EQ(t1.version, 1);
  EXPECT_EQ(MustGet(*s, Table::kFleets, "f").body, "{\"v\":2}");
  EXPECT_EQ(MustGet(*s, Table::kQueues, "q").body, "{\"v\":3}");
  EXPECT_EQ(MustGet(*s, Table::kQueues, "q").version, 3);
}

// A statement can fail after its batch's conditions held (here a body over the length limit, on
// the batch's second write). The group then runs again with a SAVEPOINT per batch, so that the
// batch's first write is undone and every other batch still commits.
TEST_F(SqliteStoreTest, AStatementFailingAfterItsBatchsChecksFailsThatBatchAlone) {
  auto s = MustOpen({.path = path_, .max_value_bytes = 1000});
  ASSERT_NE(s, nullptr);
  auto batch = [](std::string shard, std::vector<Write> writes, std::string event) {
    Batch b;
    b.writes = std::move(writes);
    b.events.push_back(EventAppend{"t", std::move(event), 1});
    b.shard = std::move(shard);
    return b;
  };
  std::vector<Batch> group;
  group.push_back(batch("s", {Write::Insert(Table::kTickets, MakeRow("a", "", "", "{}"))}, "a"));
  group.push_back(batch("s",
                        {Write::Insert(Table::kTickets, MakeRow("b1", "", "", "{}")),
                         Write::Insert(Table::kTickets,
                                       MakeRow("b2", "", "", std::string(2000, 'x')))},
                        "b"));
  group.push_back(batch("s", {Write::Insert(Table::kTickets, MakeRow("s2", "", "", "{}"))}, "s"));
  group.push_back(batch("", {Write::Insert(Table::kTickets, MakeRow("c", "", "", "{}"))}, "c"));
  auto r = s->CommitGroup(group);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 4u);
  EXPECT_TRUE((*r)[0].ok());
  ASSERT_EQ(CodeOf((*r)[1]), ErrorCode::kTooLarge);
  EXPECT_THAT((*r)[1].error().message, HasSubstr("b2"));
  EXPECT_EQ(CodeOf((*r)[2]), ErrorCode::kUnavailable);  // built on the failed batch
  EXPECT_TRUE((*r)[3].ok());
  EXPECT_EQ(SqliteGroupRedos(*s), 1);
  EXPECT_THAT(testing::Ids(testing::MustList(s->List(Table::kTickets, "", 10))),
              ::testing::ElementsAre("a", "c"));
  auto ev = MustEvents(s->ReadEvents(0, 10));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].body, "a");
  EXPECT_EQ(ev[1].body, "c");

  // A batch whose conditions fail writes nothing and needs no second run.
  auto again =
      s->CommitGroup({batch("", {Write::Insert(Table::kTickets, MakeRow("a", "", "", "{}"))}, "a")});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(CodeOf((*again)[0]), ErrorCode::kConflict);
  EXPECT_EQ(SqliteGroupRedos(*s), 1);
}

TEST_F(SqliteStoreTest, RowsLandInTheDocumentedColumns) {
  auto s = MustOpen();
  ASSERT_NE(s, nullptr);
  ASSERT_OK(
      CommitOne(*s, Write::Insert(Table::kTickets, MakeRow("t1", "ident", "QUEUED", "{}", 99))));
  sqlite3* db = RawOpen();
  EXPECT_EQ(QueryText(db,
                      "SELECT idx || '|' || status || '|' || body || '|' || version || '|' || "
                      "updated FROM tickets WHERE id = 't1'"),
            "ident|QUEUED|{}|1|99");
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, ConflictMessagesNameTableIdAndVersions) {
  auto s = MustOpen();
  ASSERT_NE(s, nullptr);
  ASSERT_OK(CommitOne(*s, Write::Insert(Table::kGameSessions, MakeRow("gs-1", "", "", "{}"))));
  ASSERT_OK(CommitOne(*s, Write::Update(Table::kGameSessions, MakeRow("gs-1", "", "", "{}"), 1)));
  Status upd = CommitOne(*s, Write::Update(Table::kGameSessions, MakeRow("gs-1", "", "", "{}"), 1));
  ASSERT_FALSE(upd.ok());
  EXPECT_EQ(upd.error().message,
            "update game_sessions id 'gs-1': expected version 1, actual version 2");
  Status ins = CommitOne(*s, Write::Insert(Table::kGameSessions, MakeRow("gs-1", "", "", "{}")));
  ASSERT_FALSE(ins.ok());
  EXPECT_EQ(ins.error().message, "insert game_sessions id 'gs-1': row already exists (version 2)");
  Status del = CommitOne(*s, Write::Delete(Table::kGameSessions, "gs-2", 4));
  ASSERT_FALSE(del.ok());
  EXPECT_EQ(del.error().message,
            "delete game_sessions id 'gs-2': expected version 4, row does not exist");
}

TEST_F(SqliteStoreTest, SynchronousFullWorksAlongsideNormal) {
  auto full = MustOpen({.path = path_, .synchronous_full = true});
  auto normal = MustOpen();
  ASSERT_NE(full, nullptr);
  ASSERT_NE(normal, nullptr);
  ASSERT_OK(CommitOne(*full, Write::Insert(Table::kFleets, MakeRow("f", "", "", "{}"))));
  EXPECT_EQ(MustGet(*normal, Table::kFleets, "f").version, 1);
}

TEST_F(SqliteStoreTest, ExistingEmptyFileIsInitialised) {
  std::ofstream(path_).close();
  auto s = MustOpen();
  ASSERT_NE(s, nullptr);
  ASSERT_OK(CommitOne(*s, Write::Insert(Table::kFleets, MakeRow("f", "", "", "{}"))));
}

TEST_F(SqliteStoreTest, NewerSchemaIsRefused) {
  { ASSERT_NE(MustOpen(), nullptr); }
  sqlite3* db = RawOpen();
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto s = OpenSqliteStore({.path = path_});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message, HasSubstr(path_));
  EXPECT_THAT(s.error().message, HasSubstr("99"));
}

TEST_F(SqliteStoreTest, MissingDirectoryNamesPath) {
  std::string p = dir_ + "/no/such/dir/muster.db";
  auto s = OpenSqliteStore({.path = p});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(s.error().message, HasSubstr(p));
  EXPECT_THAT(s.error().message, HasSubstr("does not exist"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/no"));
}

TEST_F(SqliteStoreTest, NotADatabaseNamesPath) {
  {
    std::ofstream f(path_, std::ios::binary);
    for (int i = 0; i < 512; ++i) f << "this is not a database ";
  }
  auto s = OpenSqliteStore({.path = path_});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message, HasSubstr(path_));
  EXPECT_THAT(s.error().message, HasSubstr("not a SQLite database"));
}

TEST_F(SqliteStoreTest, DirectoryAsPathIsRejected) {
  auto s = OpenSqliteStore({.path = dir_});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.error().message, HasSubstr(dir_));
}

TEST_F(SqliteStoreTest, BadOptionsAreRejected) {
  for (const char* p : {"", ":memory:", "file:x.db?mode=memory"}) {
    auto s = OpenSqliteStore({.path = p});
    ASSERT_FALSE(s.ok()) << p;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument) << p;
  }
  auto neg = OpenSqliteStore({.path = path_, .busy_timeout_ms = -1});
  ASSERT_FALSE(neg.ok());
  EXPECT_EQ(neg.error().code, ErrorCode::kInvalidArgument);
  auto caps = OpenSqliteStore({.path = path_, .checkpoint_pages = 100, .checkpoint_max_pages = 50});
  ASSERT_FALSE(caps.ok());
  EXPECT_EQ(caps.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(caps.error().message, HasSubstr("checkpoint_max_pages"));
}

// ---- checkpoints of the write-ahead log -----------------------------------------------------

// `n` commits of one 2 KiB row each (every commit appends a few pages to the log).
void CommitRows(Store& s, const std::string& prefix, int n) {
  const std::string body = "{\"pad\":\"" + std::string(2000, 'x') + "\"}";
  for (int i = 0; i < n; ++i) {
    ASSERT_OK(CommitOne(s, Write::Insert(Table::kTickets, MakeRow(prefix + std::to_string(i), "p", "QUEUED", body, 1))));
  }
}

std::uintmax_t FileSize(const std::string& path) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : n;
}

TEST_F(SqliteStoreTest, CheckpointsRunOffTheCommittingThread) {
  auto s = MustOpen({.path = path_, .checkpoint_pages = 50, .checkpoint_max_pages = 100000,
                     .checkpoint_rest_quiet_ms = 100});
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(SqliteCheckpoints(*s).has_value());
  // Bursts of 20 commits (each appends several pages to the log), each followed by a quiet
  // moment in which the background thread catches up with the burst's last commit.
  auto caught_up_with_last_commit = [&] {
    auto st = *SqliteCheckpoints(*s);
    return st.wal_pages < 50 || st.caught_up_pages == st.wal_pages;  // below the threshold: not woken
  };
  for (int burst = 0; burst < 20; ++burst) {
    CommitRows(*s, "b" + std::to_string(burst) + "-", 20);
    for (int i = 0; i < 500 && !caught_up_with_last_commit(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  auto st = *SqliteCheckpoints(*s);
  EXPECT_GE(st.caught_up, 5u);
  EXPECT_EQ(st.inline_on_commit, 0u);  // no commit checkpointed: the cap was never reached
  EXPECT_EQ(st.failed, 0u);
  // The log was reused from its start instead of growing: 400 commits appended about 2,000 pages
  // to it (SQLite's own automatic checkpoint lets it reach 1,000 before reusing it).
  EXPECT_LT(FileSize(path_ + "-wal"), 400u * 4096u);
  // Everything committed is there, in the log or the database, for another connection too.
  sqlite3* db = RawOpen();
  EXPECT_EQ(QueryText(db, "SELECT count(*) FROM tickets"), "400");
  EXPECT_GT(FileSize(path_), 200u * 4096u);  // 800 KB copied into the database file itself
  sqlite3_close(db);
}

TEST_F(SqliteStoreTest, TheEndOfABurstIsCopiedOnceCommitsPause) {
  // A pass that copied the whole log while commits still came left their frames (fewer than the
  // threshold, so no commit woke it again) in the log until the next burst: the log was not
  // started again and the database file lagged behind for as long as the node stayed quiet.
  auto s = MustOpen({.path = path_, .checkpoint_pages = 50, .checkpoint_max_pages = 100000,
                     .checkpoint_rest_quiet_ms = 100});
  ASSERT_NE(s, nullptr);
  auto caught_up = [&] { return SqliteCheckpoints(*s)->caught_up; };
  int round = 0;
  while (caught_up() == 0 && round < 200) CommitRows(*s, "w" + std::to_string(round++) + "-", 5);
  ASSERT_GT(caught_up(), 0u);
  // Wait for that pass (and any rest after it) to end: the whole log copied.
  auto all_copied = [&] {
    auto st = *SqliteCheckpoints(*s);
    return st.caught_up_pages == st.wal_pages;
  };
  for (int i = 0; i < 300 && !all_copied(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(all_copied());
  // A few commits, far below the threshold, after the log was copied; then quiet.
  CommitRows(*s, "tail-", 2);
  const auto after_tail = *SqliteCheckpoints(*s);
  ASSERT_LT(after_tail.wal_pages - after_tail.copied_pages, 50);
  ASSERT_NE(after_tail.caught_up_pages, after_tail.wal_pages);
  for (int i = 0; i < 300 && !all_copied(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(all_copied()) << "the tail's frames were never copied";
  // Single commits after quiet spells, each starting the log again with as many frames as the
  // log copied before it (the same row rewritten): such a log once woke nobody, its commit
  // looking like one already copied. Each is copied in its pause.
  for (int tail = 0; tail < 4; ++tail) {
    // (The sizes alone cannot tell that it was copied: a pass must have run after it.)
    const auto passes_before = SqliteCheckpoints(*s)->background;
    ASSERT_OK(CommitOne(*s, Write::Upsert(Table::kTickets, MakeRow("tail-0", "p", "QUEUED", "{}", 1))));
    auto copied_since = [&] { return SqliteCheckpoints(*s)->background > passes_before && all_copied(); };
    for (int i = 0; i < 300 && !copied_since(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(copied_since()) << "single commit " << tail << " was never copied";
  }
}

TEST_F(SqliteStoreTest, ALogThatIsNeverStartedAgainIsNotCheckpointedAfterEveryCommit) {
  // A reader in the log at every commit (the outbox's dispatcher reads after each one) keeps the
  // log from being started again, so it stays over the threshold. The checkpoints count what is
  // not copied yet: one per `checkpoint_pages` new frames, not one (and a sync) per commit.
  auto s = MustOpen({.path = path_, .checkpoint_pages = 50, .checkpoint_max_pages = 100000});
  ASSERT_NE(s, nullptr);
  CommitRows(*s, "warm", 40);  // the log is over the threshold from here on
  // The reader takes its snapshot right after each commit, before the checkpointer copies that
  // commit, as the dispatcher does, and holds it through the next commit, which then cannot start
  // the log again. (Each pass can copy everything up to that snapshot, so before the fix every
  // commit's wake-up found work and made a pass.)
  sqlite3* reader = RawOpen();
  ASSERT_EQ(sqlite3_exec(reader, "BEGIN", nullptr, nullptr, nullptr), SQLITE_OK);
  const int commits = 300;
  for (int i = 0; i < commits; ++i) {
    CommitRows(*s, "c" + std::to_string(i) + "-", 1);
    ASSERT_EQ(sqlite3_exec(reader, "COMMIT; BEGIN", nullptr, nullptr, nullptr), SQLITE_OK);
    ASSERT_EQ(QueryText(reader, "SELECT count(*) FROM tickets"), std::to_string(40 + i + 1));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // time for a woken pass to run
  }
  ASSERT_EQ(sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(reader);
  auto st = *SqliteCheckpoints(*s);
  // Each commit appends a few frames: about commits * frames / 50 passes (one per commit before).
  EXPECT_GE(st.background, 3u);
  EXPECT_LE(st.background, static_cast<std::uint64_t>(commits / 4));
  EXPECT_EQ(st.inline_on_commit, 0u);
  EXPECT_EQ(st.failed, 0u);
  auto all = s->List(Table::kTickets, "", 10000);
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), static_cast<std::size_t>(40 + commits));
}

TEST_F(SqliteStoreTest, ALogAtItsRestartSizeIsStartedAgainThoughCommitsNeverPause) {
  // Commits back to back: no background pass ends at a moment when no commit follows, and the
  // background copies the last frames only once commits pause. Without the restart size the log
  // grew by every commit (about 3,000 pages here).
  auto s = MustOpen({.path = path_, .checkpoint_pages = 300, .checkpoint_max_pages = 100000,
                     .checkpoint_restart_pages = 1200});
  ASSERT_NE(s, nullptr);
  CommitRows(*s, "a", 1500);
  auto st = *SqliteCheckpoints(*s);
  EXPECT_GE(st.restarts, 2u);
  EXPECT_GE(st.restart_copies, 2u);
  EXPECT_LE(st.restart_copies, st.restart_tries);
  EXPECT_LT(FileSize(path_ + "-wal"), 2400u * 4096u);
  EXPECT_EQ(st.failed, 0u);

  // A reader in the log keeps it from starting again: the commits then try once per
  // checkpoint_pages new frames, not each one (each try is a pass, and a sync when it copied).
  sqlite3* reader = RawOpen();
  ASSERT_EQ(sqlite3_exec(reader, "BEGIN", nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(QueryText(reader, "SELECT count(*) FROM tickets"), "1500");  // holds this snapshot
  const auto tries_before = st.restart_tries;
  const auto restarts_pinned = st.restarts;
  CommitRows(*s, "pinned", 1000);
  st = *SqliteCheckpoints(*s);
  EXPECT_EQ(st.restarts, restarts_pinned);  // the reader holds the log
  EXPECT_GT(st.wal_pages, 1200);            // past the restart size
  EXPECT_GE(st.restart_tries - tries_before, 1u);
  EXPECT_LE(st.restart_tries - tries_before, 100u);  // about 6,000 frames / 300 at most
  EXPECT_EQ(QueryText(reader, "SELECT count(*) FROM tickets"), "1500");  // the snapshot is intact
  ASSERT_EQ(sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(reader);
  const auto restarts_before = st.restarts;
  CommitRows(*s, "after", 1000);  // the reader is gone: bounded again
  st = *SqliteCheckpoints(*s);
  EXPECT_GE(st.restarts, restarts_before + 1);
  auto all = s->List(Table::kTickets, "", 10000);
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 3500u);
}

TEST_F(SqliteStoreTest, ARestartSizeBelowTheThresholdIsRefused) {
  auto s = OpenSqliteStore({.path = path_, .checkpoint_pages = 100, .checkpoint_restart_pages = 50});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("checkpoint_restart_pages"), std::string::npos);
}

TEST_F(SqliteStoreTest, SqliteKeepsNoMemoryStatistics) {
  // They cost a process-wide mutex in every allocation and free (ctest runs each test in its own
  // process, so the store is SQLite's first use here).
  auto s = MustOpen({.path = path_});
  ASSERT_NE(s, nullptr);
  CommitRows(*s, "m", 20);
  EXPECT_EQ(sqlite3_memory_used(), 0);
}

TEST_F(SqliteStoreTest, ACommitCheckpointsItselfAtTheCap) {
  // At the cap the commit checkpoints before the background is woken: only the cap bounds the
  // log, though the commits come back to back.
  auto s = MustOpen({.path = path_, .checkpoint_pages = 60, .checkpoint_max_pages = 60});
  ASSERT_NE(s, nullptr);
  CommitRows(*s, "a", 300);
  auto st = *SqliteCheckpoints(*s);
  EXPECT_GE(st.inline_on_commit, 1u);
  EXPECT_EQ(st.background, 0u);
  EXPECT_LT(st.wal_pages, 100);
  EXPECT_LT(FileSize(path_ + "-wal"), 100u * 4096u);
}

TEST_F(SqliteStoreTest, AReaderOfAnOldSnapshotDoesNotStallCommitsAtTheCap) {
  // A backup or a long query in another connection pins the log: the commits at the cap must not
  // each wait for it (the busy timeout here is 5 s: 300 commits would take 25 minutes).
  auto s = MustOpen({.path = path_, .checkpoint_pages = 60, .checkpoint_max_pages = 60});
  ASSERT_NE(s, nullptr);
  CommitRows(*s, "before", 5);
  sqlite3* reader = RawOpen();
  ASSERT_EQ(sqlite3_exec(reader, "BEGIN", nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(QueryText(reader, "SELECT count(*) FROM tickets"), "5");  // holds this snapshot
  CommitRows(*s, "during", 300);
  auto st = *SqliteCheckpoints(*s);
  EXPECT_GE(st.inline_on_commit + st.busy, 1u);  // the cap was reached and tried
  EXPECT_LE(st.busy, 20u);                        // but not by every commit
  EXPECT_EQ(QueryText(reader, "SELECT count(*) FROM tickets"), "5");  // the snapshot is intact
  ASSERT_EQ(sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(reader);
  // Once the reader is gone, the log is bounded again.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past the pause after a busy cap
  CommitRows(*s, "after", 100);
  EXPECT_LT(SqliteCheckpoints(*s)->wal_pages, 200);
  auto all = s->List(Table::kTickets, "", 10000);
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 405u);
}

TEST_F(SqliteStoreTest, SqlitesOwnCheckpointWhenTheCheckpointerIsOff) {
  auto s = MustOpen({.path = path_, .checkpoint_pages = 0});
  ASSERT_NE(s, nullptr);
  EXPECT_FALSE(SqliteCheckpoints(*s).has_value());
  CommitRows(*s, "a", 50);
  EXPECT_EQ(MustGet(*s, Table::kTickets, "a49").status, "QUEUED");
}

TEST_F(SqliteStoreTest, CommitsFromThreadsWhileCheckpointingLoseNothing) {
  auto s = MustOpen({.path = path_, .checkpoint_pages = 20, .checkpoint_max_pages = 200});
  ASSERT_NE(s, nullptr);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&s, t] { CommitRows(*s, "t" + std::to_string(t) + "-", 150); });
  }
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&s] {
      for (int i = 0; i < 200; ++i) (void)s->List(Table::kTickets, "", 50);
    });
  }
  for (auto& th : threads) th.join();
  auto st = *SqliteCheckpoints(*s);
  EXPECT_GE(st.background + st.inline_on_commit, 1u);
  EXPECT_EQ(st.failed, 0u);
  s.reset();  // closes (the last connection checkpoints what is left)
  auto again = MustOpen();
  ASSERT_NE(again, nullptr);
  auto all = again->List(Table::kTickets, "", 10000);
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 600u);
}

TEST_F(SqliteStoreTest, ReadOnlyFileNamesPath) {
  { ASSERT_NE(MustOpen(), nullptr); }
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  ASSERT_EQ(chmod(path_.c_str(), 0444), 0);
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  // root ignores file modes, so as root the check runs in a child that drops to "nobody".
  int code = RunInChild([&]() -> int {
    close(pipe_fds[0]);
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) return 10;
    auto s = OpenSqliteStore({.path = path_});
    std::string msg = s.ok() ? std::string("opened") : s.error().message;
    if (write(pipe_fds[1], msg.data(), msg.size()) < 0) return 11;
    if (s.ok()) return 12;
    return s.error().code == ErrorCode::kUnavailable ? 0 : 13;
  });
  close(pipe_fds[1]);
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<size_t>(n));
  close(pipe_fds[0]);
  EXPECT_EQ(code, 0) << msg;
  EXPECT_THAT(msg, HasSubstr(path_));
  EXPECT_THAT(msg, HasSubstr("read-only"));
}

TEST_F(SqliteStoreTest, WriterHeldBeyondTimeoutIsUnavailableReadsStillWork) {
  auto s = MustOpen({.path = path_, .busy_timeout_ms = 50});
  ASSERT_NE(s, nullptr);
  ASSERT_OK(CommitOne(*s, Write::Insert(Table::kFleets, MakeRow("f", "", "", "{}"))));
  sqlite3* other = RawOpen();
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Status st = CommitOne(*s, Write::Insert(Table::kFleets, MakeRow("g", "", "", "{}")));
  ASSERT_EQ(CodeOf(st), ErrorCode::kUnavailable);
  EXPECT_THAT(st.error().message, HasSubstr(path_));
  EXPECT_THAT(st.error().message, HasSubstr("locked"));
  EXPECT_EQ(MustGet(*s, Table::kFleets, "f").version, 1);  // WAL: readers are not blocked
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  ASSERT_OK(CommitOne(*s, Write::Insert(Table::kFleets, MakeRow("g", "", "", "{}"))));
}

// A child commits pairs of rows plus an event per commit, acknowledging each commit on a pipe,
// and keeps committing until SIGKILL lands (possibly mid-transaction). Every acknowledged commit
// must survive, and every commit must be all-or-nothing.
TEST_F(SqliteStoreTest, KilledWriterLeavesCommittedRowsReadable) {
  int ack[2];
  ASSERT_EQ(pipe(ack), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(ack[0]);
    auto s = OpenSqliteStore({.path = path_});
    if (!s.ok()) _exit(2);
    for (std::int32_t i = 0;; ++i) {
      std::string n = std::to_string(i);
      Status st = (*s)->Commit({Write::Insert(Table::kTickets, MakeRow("a" + n, "", "", n)),
                                Write::Insert(Table::kMatches, MakeRow("b" + n, "", "", n))},
                               {EventAppend{"t", n, i}});
      if (!st.ok()) _exit(3);
      if (write(ack[1], &i, sizeof i) != sizeof i) _exit(4);
    }
  }
  close(ack[1]);
  constexpr std::int32_t kAcked = 40;
  std::int32_t last = -1;
  while (last + 1 < kAcked) {
    ASSERT_EQ(read(ack[0], &last, sizeof last), static_cast<ssize_t>(sizeof last));
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  close(ack[0]);

  auto s = MustOpen();
  ASSERT_NE(s, nullptr);
  auto tickets = testing::MustList(s->List(Table::kTickets, "", 1000000));
  auto matches = testing::MustList(s->List(Table::kMatches, "", 1000000));
  auto events = MustEvents(s->ReadEvents(0, 1000000));
  ASSERT_GE(tickets.size(), static_cast<std::size_t>(kAcked));
  EXPECT_EQ(tickets.size(), matches.size());
  EXPECT_EQ(tickets.size(), events.size());
  for (std::int32_t i = 0; i < static_cast<std::int32_t>(tickets.size()); ++i) {
    std::string n = std::to_string(i);
    EXPECT_EQ(MustGet(*s, Table::kTickets, "a" + n).body, n);
    EXPECT_EQ(MustGet(*s, Table::kMatches, "b" + n).body, n);
  }
  // The reopened file takes new commits.
  ASSERT_OK(CommitOne(*s, Write::Insert(Table::kTickets, MakeRow("after", "", "", "{}"))));
}

// Several processes opening a fresh file at the same moment: exactly one creates the schema, all
// of them can then commit.
TEST_F(SqliteStoreTest, ProcessesOpeningAFreshFileTogetherAllSucceed) {
  constexpr int kProcs = 4;
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(go[1]);
      char c;
      if (read(go[0], &c, 1) != 0) _exit(5);  // wait until the parent closes the pipe
      auto s = OpenSqliteStore({.path = path_});
      if (!s.ok()) {
        fprintf(stderr, "child open: %s\n", s.error().message.c_str());
        _exit(2);
      }
      Status st = CommitOne(
          **s, Write::Insert(Table::kFleets, MakeRow("f" + std::to_string(p), "", "", "{}")));
      _exit(st.ok() ? 0 : 3);
    }
    pids.push_back(pid);
  }
  close(go[0]);
  close(go[1]);  // releases every child at once
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto s = MustOpen();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(testing::MustList(s->List(Table::kFleets, "", 100)).size(),
            static_cast<std::size_t>(kProcs));
}

TEST_F(SqliteStoreTest, TwoProcessesCasIncrementsLoseNoUpdate) {
  {
    auto s = MustOpen();
    ASSERT_NE(s, nullptr);
    ASSERT_OK(CommitOne(*s, Write::Insert(Table::kQueues, MakeRow("counter", "", "", "0"))));
  }  // closed before fork: an open connection must not cross fork()
  constexpr int kProcs = 2;
  constexpr int kIncrements = 150;
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto s = OpenSqliteStore({.path = path_});
      if (!s.ok()) _exit(2);
      for (int i = 0; i < kIncrements; ++i) {
        if (!CasIncrement(**s, Table::kQueues, "counter").ok()) _exit(3);
      }
      _exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto s = MustOpen();
  ASSERT_NE(s, nullptr);
  Row g = MustGet(*s, Table::kQueues, "counter");
  EXPECT_EQ(g.body, std::to_string(kProcs * kIncrements));
  EXPECT_EQ(g.version, kProcs * kIncrements + 1);
}

}  // namespace
}  // namespace muster::store
