// The engine conformance cases. Only the contract of store.h is asserted here.

#include "store/store_conformance.h"

#include <gmock/gmock.h>
#include <stdlib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <latch>
#include <set>
#include <thread>

#include "store/conformance_util.h"

namespace muster::store::testing {

int ConformanceSuiteAnchor() { return 1; }

void StoreConformance::SetUp() {
  std::string base = ::testing::TempDir();
  if (base.empty()) base = "/tmp/";
  if (base.back() != '/') base += '/';
  std::string tmpl = base + "muster-store-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr) << "mkdtemp " << tmpl;
  dir_ = tmpl;
}

void StoreConformance::TearDown() {
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

std::unique_ptr<Store> StoreConformance::Open() {
  std::unique_ptr<Store> s = GetParam().factory(dir_);
  EXPECT_NE(s, nullptr) << "engine " << GetParam().name << " failed to open in " << dir_;
  return s;
}

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

#define OPEN_OR_FAIL(var)              \
  std::unique_ptr<Store> var = Open(); \
  ASSERT_NE(var, nullptr)

TEST_P(StoreConformance, InsertThenGetReturnsAllFields) {
  OPEN_OR_FAIL(s);
  Row r = MakeRow("t-1", "identity-9", "QUEUED", R"({"a":1})", 1234);
  r.version = 42;  // ignored: the store assigns versions
  ASSERT_OK(s->Commit({Write::Insert(Table::kTickets, r)}));
  auto got = s->Get(Table::kTickets, "t-1");
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  const Row& g = **got;
  EXPECT_EQ(g.id, "t-1");
  EXPECT_EQ(g.index, "identity-9");
  EXPECT_EQ(g.status, "QUEUED");
  EXPECT_EQ(g.body, R"({"a":1})");
  EXPECT_EQ(g.version, 1);
  EXPECT_EQ(g.updated, 1234);
}

TEST_P(StoreConformance, GetMissingIsEmptyNotError) {
  OPEN_OR_FAIL(s);
  auto got = s->Get(Table::kTickets, "nope");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_FALSE(got->has_value());
}

TEST_P(StoreConformance, EmptyIndexStatusAndBodyRoundTrip) {
  OPEN_OR_FAIL(s);
  ASSERT_OK(s->Commit({Write::Insert(Table::kFleets, MakeRow("f", "", "", ""))}));
  Row g = MustGet(*s, Table::kFleets, "f");
  EXPECT_EQ(g.index, "");
  EXPECT_EQ(g.status, "");
  EXPECT_EQ(g.body, "");
}

TEST_P(StoreConformance, InsertOfExistingIdConflictsAndKeepsRow) {
  OPEN_OR_FAIL(s);
  ASSERT_OK(CommitOne(*s, Write::Insert(Table::kMatches, MakeRow("m", "", "", "first"))));
  Status st = CommitOne(*s, Write::Insert(Table::kMatches, MakeRow("m", "", "", "second")));
  ASSERT_EQ(CodeOf(st), ErrorCode::kConflict);
  EXPECT_THAT(st.error().message, HasSubstr("m"));
  EXPECT_THAT(st.error().message, HasSubstr(TableName(Table::kMatches)));
  Row g = MustGet(*s, Table::kMatches, "m");
  EXPECT_EQ(g.body, "first");
  EXPECT_EQ(g.version, 1);
}

TEST_P(StoreConformance, UpdateWithRightVersionBumpsVersion) {
  OPEN_OR_FAIL(s);
  ASSERT_OK(CommitOne(*s, Write::Insert(Table::kPlacements, MakeRow("p", "q1", "PENDING", "a"))));
  for (std::int64_t v = 1; v <= 5; ++v) {
    Row next = MakeRow("p", "q2", "FULFILLED", "b" + std::to_string(v), 100 + v);
    ASSERT_OK(CommitOne(*s, Write::Update(Table::kPlacements, next, v)));
    Row g = MustGet(*s, Table::kPlacements, "p");
    EXPECT_EQ(g.version, v + 1);
    EXPECT_EQ(g.body, "b" + std::to_string(v));
    EXPECT_EQ(g.index, "q2");
    EXPECT_EQ(g.status, "FULFILLED");
    EXPECT_EQ(g.updated, 100 + v);
  }
}

TEST_P(StoreConformance, UpdateWithWrongVersionConflictsAndNamesVersions) {
  OPEN_OR_FAIL(s);
  ASSERT_OK(CommitOne(*s, Write::Insert(Table::kGameSessions, MakeRow("gs-7", "", "", "a"))));
  ASSERT_OK(CommitOne(*s, Write::Update(Table::kGameSessions, MakeRow("gs-7", "", "", "b"), 1)));
  Status st = CommitOne(*s, Write::Update(Table::kGameSessions, MakeRow("gs-7", "", "", "c"), 1));
  ASSERT_EQ(CodeOf(st), ErrorCode::kConflict);
  EXPECT_THAT(st.error().message, HasSubstr("gs-7"));
  EXPECT_THAT(st.error().message, HasSubstr(TableName(Table::kGameSessions)));
  EXPECT_THAT(st.error().message, HasSubstr("1"));  // expected
  EXPECT_THAT(st.error().message, HasSubstr("2"));  // actual
  Row g = MustGet(*s, Table::kGameSessions, "gs-7");
  EXPECT_EQ(g.body, "b");
  EXPECT_EQ(g.version, 2);
  // A version from the future conflicts too.
  EXPECT_EQ(CodeOf(CommitOne(*s, Write::Update(Table::kGameSessions, g, 3))), ErrorCode::kConflict);
}

TEST_P(StoreConformance, UpdateOfMissingRowConflicts) {
  OPEN_OR_FAIL(s);
  Status st = CommitOne(*s, Write::Update(Table::kQueues, MakeRow("ghost", "", "", "x"), 1));
  ASSERT_EQ(CodeOf(st), ErrorCode::kConflict);
  EXPECT_THAT(st.error().message, HasSubstr("ghost"));
  EXPECT_EQ(CodeOf(CommitOne(*s, Write::Update(Table::kQueues, MakeRow("ghost", "", "", "x"), 0))),
            ErrorCode::kConflict);
  auto got = s->Get(Table::kQueues, "ghost");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_P(StoreConformance, UpsertCreatesThenReplacesUnconditionally) {
  OPEN_OR_FAIL(s);
  ASSERT_OK(CommitOne(*s, Write::Upsert(Table::kLocations, MakeRow("us-east-1", "", "", "a"))));
  EXPECT_EQ(MustGet(*s, Table::kLocations, "us-east-1").version, 1);
  Row r = MakeRow("us-east-1", "i", "ACTIVE", "b", 77);
  r.version = 99;  // ignored
  ASSERT_OK(CommitOne(*s, Write::Upsert(Table::kLocations, r)));
  Row g = MustGet(*s, Table::kLocations, "us-east-1");
  EXPECT_EQ(g.version, 2);
  EXPECT_EQ(g.body, "b");
  EXPECT_EQ(g.index, "i");
  EXPECT_EQ(g.status, "ACTIVE");
  EXPECT_EQ(g.updated, 77);
  // Updates keep counting from the upserted version.
  ASSERT_OK(CommitOne(*s, Write::Update(Table::kLocations, g, 2)));
  EXPECT_EQ(MustGet(*s, Table::kLocations, "us-east-1").version, 3);
}

TEST_P(StoreConformance, DeleteWithExpectedVersion) {
  OPEN_OR_FAIL(s);
  ASSERT_OK(CommitOne(*s, Write::Insert(Table::kProcesses, MakeRow("p", "", "", "a"))));
  ASSERT_OK(CommitOne(*s, Write::Update(Table::kProcesses, MakeRow("p", "", "", "b"), 1)));
  Status wrong = CommitOne(*s, Write::Delete(Table::kProcesses, "p", 1));
  ASSERT_EQ(CodeOf(wrong), ErrorCode::kConflict);
  EXPECT_THAT(wrong.error().message, HasSubstr("p"));
  EXPECT_EQ(MustGet(*s, Table::kProcesses, "p").body, "b");
  ASSERT_OK(CommitOne(*s, Write::Delete(Table::kProcesses, "p", 2)));
  auto got = s->Get(Table::kProcesses, "p");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  // Expecting a version of a row that is gone conflicts.
  EXPECT_EQ(CodeOf(CommitOne(*s, Write::Delete(Table::kProcesses, "p", 2))), ErrorCode::kConflict);
}

TEST_P(StoreConformance, DeleteWithoutExpectedVersion) {
  OPEN_OR_FAIL(s);
  ASSERT_OK(CommitOne(*s, Write::Insert(Table::kComputes, MakeRow("f/c", "f", "", "a"))));
  ASSERT_OK(CommitOne(*s, Write::Update(Table::kComputes, MakeRow("f/c", "f", "", "b"), 1)));
  ASSERT_OK(CommitOne(*s, Write::Delete(Table::kComputes, "f/c")));
  auto got = s->Get(Table::kComputes, "f/c");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  // Absent row with expected 0: no-op, not an error.
  ASSERT_OK(CommitOne(*s, Write::Delete(Table::kComputes, "f/c")));
  // A deleted id can be inserted again and starts over at version 1.
  ASSERT_OK(CommitOne(*s, Write::Insert(Table::kComputes, MakeRow("f/c", "f", "", "c"))));
  EXPECT_EQ(MustGet(*s, Table::kComputes, "f/c").version, 1);
}

TEST_P(StoreConformance, ListByIndexOrderedByIdWithLimit) {
  OPEN_OR_FAIL(s);
  for (const char* id : {"ps-c", "ps-a", "ps-b"}) {
    ASSERT_OK(CommitOne(*s, Write::Insert(Table::kPlayerSessions, MakeRow(id, "gs-1", "", "{}"))));
  }
  ASSERT_OK(
      CommitOne(*s, Write::Insert(Table::kPlayerSessions, MakeRow("ps-0", "gs-2", "", "{}"))));
  EXPECT_THAT(Ids(MustList(s->ListByIndex(Table::kPlayerSessions, "gs-1", 10))),
              ElementsAre("ps-a", "ps-b", "ps-c"));
  EXPECT_THAT(Ids(MustList(s->ListByIndex(Table::kPlayerSessions, "gs-1", 2))),
              ElementsAre("ps-a", "ps-b"));
  EXPECT_THAT(Ids(MustList(s->ListByIndex(Table::kPlayerSessions, "gs-2", 10))),
              ElementsAre("ps-0"));
  EXPECT_THAT(MustList(s->ListByIndex(Table::kPlayerSessions, "gs-3", 10)), IsEmpty());
  EXPECT_THAT(MustList(s->ListByIndex(Table::kPlayerSessions, "gs-1", 0)), IsEmpty());
  // Moving a row to another index moves it between lists.
  Row b = MustGet(*s, Table::kPlayerSessions, "ps-b");
  b.index = "gs-2";
  ASSERT_OK(CommitOne(*s, Write::Update(Table::kPlayerSessions, b, b.version)));
  EXPECT_THAT(Ids(MustList(s->ListByIndex(Table::kPlayerSessions, "gs-1", 10))),
              ElementsAre("ps-a", "ps-c"));
  EXPECT_THAT(Ids(MustList(s->ListByIndex(Table::kPlayerSessions, "gs-2", 10))),
              ElementsAre("ps-0", "ps-b"));
  // Full rows come back, not just ids.
  auto rows = MustList(s->ListByIndex(Table::kPlayerSessions, "gs-2", 10));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].version, 2);
  EXPECT_EQ(rows[1].body, "{}");
}

TEST_P(StoreConformance, ListByStatusPagesInIdOrder) {
  OPEN_OR_FAIL(s);
  std::vector<Write> writes;
  for (int i = 24; i >= 0; --i) {
    char id[8];
    snprintf(id, sizeof id, "r%02d", i);
    writes.push_back(Write::Insert(Table::kTickets, MakeRow(id, "", "SEARCHING", "{}")));
  }
  writes.push_back(Write::Insert(Table::kTickets, MakeRow("r05x", "", "COMPLETED", "{}")));
  ASSERT_OK(s->Commit(writes));
  std::vector<std::string> all;
  std::string after;
  int pages = 0;
  while (true) {
    auto page = MustList(s->ListByStatus(Table::kTickets, "SEARCHING", after, 10));
    if (page.empty()) break;
    ++pages;
    EXPECT_LE(page.size(), 10u);
    for (const Row& r : page) {
      EXPECT_EQ(r.status, "SEARCHING");
      all.push_back(r.id);
    }
    after = page.back().id;
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(all.size(), 25u);
  for (int i = 0; i < 25; ++i) {
    char id[8];
    snprintf(id, sizeof id, "r%02d", i);
    EXPECT_EQ(all[i], id);
  }
  EXPECT_THAT(Ids(MustList(s->ListByStatus(Table::kTickets, "COMPLETED", "", 10))),
              ElementsAre("r05x"));
  // after_id need not be an existing id.
  EXPECT_THAT(Ids(MustList(s->ListByStatus(Table::kTickets, "SEARCHING", "r22a", 10))),
              ElementsAre("r23", "r24"));
  EXPECT_THAT(MustList(s->ListByStatus(Table::kTickets, "SEARCHING", "", 0)), IsEmpty());
}

TEST_P(StoreConformance, ListPagesWholeTableAndTablesAreIsolated) {
  OPEN_OR_FAIL(s);
  ASSERT_OK(s->Commit({Write::Insert(Table::kRuleSets, MakeRow("c", "", "", "{}")),
                       Write::Insert(Table::kRuleSets, MakeRow("a", "x", "S", "{}")),
                       Write::Insert(Table::kRuleSets, MakeRow("b", "", "", "{}")),
                       Write::Insert(Table::kConfigurations, MakeRow("a0", "", "", "{}"))}));
  EXPECT_THAT(Ids(MustList(s->List(Table::kRuleSets, "", 100))), ElementsAre("a", "b", "c"));
  EXPECT_THAT(Ids(MustList(s->List(Table::kRuleSets, "", 2))), ElementsAre("a", "b"));
  EXPECT_THAT(Ids(MustList(s->List(Table::kRuleSets, "b", 2))), ElementsAre("c"));
  EXPECT_THAT(MustList(s->List(Table::kRuleSets, "c", 2)), IsEmpty());
  EXPECT_THAT(Ids(MustList(s->List(Table::kConfigurations, "", 100))), ElementsAre("a0"));
  EXPECT_THAT(MustList(s->List(Table::kQueues, "", 100)), IsEmpty());
}

TEST_P(StoreConformance, EveryTableIsUsableAndSeparate) {
  OPEN_OR_FAIL(s);
  std::set<std::string> names;
  std::vector<Write> writes;
  for (int i = 0; i < kTableCount; ++i) {
    Table t = static_cast<Table>(i);
    std::string name = TableName(t);
    EXPECT_FALSE(name.empty());
    names.insert(name);
    writes.push_back(Write::Insert(t, MakeRow("same-id", "ix", "st", name)));
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(kTableCount));
  ASSERT_OK(s->Commit(writes));
  for (int i = 0; i < kTableCount; ++i) {
    Table t = static_cast<Table>(i);
    EXPECT_EQ(MustGet(*s, t, "same-id").body, TableName(t));
    EXPECT_EQ(MustList(s->ListByIndex(t, "ix", 10)).size(), 1u);
    EXPECT_EQ(MustList(s->ListByStatus(t, "st", "", 10)).size(), 1u);
  }
}

TEST_P(StoreConformance, IdsAreOrderedByteWise) {
  OPEN_OR_FAIL(s);
  // Byte order: uppercase before lowercase, a prefix before its extensions, UTF-8 after ASCII.
  for (const char* id : {"b", "\xc3\xa9", "a1", "B", "a", "A"}) {
    ASSERT_OK(CommitOne(*s, Write::Insert(Table::kIdentities, MakeRow(id, "pool", "", "{}"))));
  }
  EXPECT_THAT(Ids(MustList(s->List(Table::kIdentities, "", 100))),
              ElementsAre("A", "B", "a", "a1", "b", "\xc3\xa9"));
  EXPECT_THAT(Ids(MustList(s->ListByIndex(Table::kIdentities, "pool", 100))),
              ElementsAre("A", "B", "a", "a1", "b", "\xc3\xa9"));
}

TEST_P(StoreConformance, FailedCommitAppliesNothingAndAppendsNoEvents) {
  OPEN_OR_FAIL(s);
  ASSERT_OK(s->Commit({Write::Insert(Table::kTickets, MakeRow("c", "", "", "orig"))},
                      {EventAppend{"matchmaking", R"({"n":0})", 5}}));
  auto before = MustEvents(s->ReadEvents(0, 100));
  ASSERT_EQ(before.size(), 1u);

  Status st =
      s->Commit({Write::Insert(Table::kTickets, MakeRow("a", "", "", "new")),
                 Write::Upsert(Table::kMatches, MakeRow("m", "", "", "new")),
                 Write::Update(Table::kTickets, MakeRow("c", "", "", "changed"), 1),
                 Write::Update(Table::kTickets, MakeRow("c", "", "", "changed-again"), 7),  // fails
                 Write::Delete(Table::kTickets, "c")},
                {EventAppend{"matchmaking", R"({"n":1})", 6}, EventAppend{"placement", "{}", 6}});
  ASSERT_EQ(CodeOf(st), ErrorCode::kConflict);
  EXPECT_THAT(st.error().message, HasSubstr("7"));  // names the failing write's expectation

  auto a = s->Get(Table::kTickets, "a");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->has_value());
  auto m = s->Get(Table::kMatches, "m");
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->has_value());
  Row c = MustGet(*s, Table::kTickets, "c");
  EXPECT_EQ(c.body, "orig");
  EXPECT_EQ(c.version, 1);
  auto after = MustEvents(s->ReadEvents(0, 100));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].seq, before[0].seq);

  // The store is still usable after the rollback, and the next commit works normally.
  ASSERT_OK(s->Commit({Write::Insert(Table::kTickets, MakeRow("a", "", "", "new"))},
                      {EventAppend{"matchmaking", "{}", 7}}));
  EXPECT_EQ(MustEvents(s->ReadEvents(0, 100)).size(), 2u);
}

TEST_P(StoreConformance, FirstWriteFailingAppliesNothing) {
  OPEN_OR_FAIL(s);
  ASSERT_OK(CommitOne(*s, Write::Insert(Table::kFleets, MakeRow("dup", "", "", "x"))));
  Status st = s->Commit({Write::Insert(Table::kFleets, MakeRow("dup", "", "", "y")),
                         Write::Insert(Table::kFleets, MakeRow("fresh", "", "", "y"))},
                        {EventAppend{"fleet", "{}", 1}});
  ASSERT_EQ(CodeOf(st), ErrorCode::kConflict);
  EXPECT_THAT(st.error().message, HasSubstr("dup"));
  auto fresh = s->Get(Table::kFleets, "fresh");
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE(fresh->has_value());
  EXPECT_THAT(MustEvents(s->ReadEvents(0, 100)), IsEmpty());
}

TEST_P(StoreConformance, WritesInOneCommitApplyInOrder) {
  OPEN_OR_FAIL(s);
  ASSERT_OK(s->Commit({Write::Insert(Table::kConnections, MakeRow("x", "", "", "1")),
                       Write::Update(Table::kConnections, MakeRow("x", "", "", "2"), 1),
                       Write::Update(Table::kConnections, MakeRow("x", "", "", "3"), 2)}));
  Row g = MustGet(*s, Table::kConnections, "x");
  EXPECT_EQ(g.body, "3");
  EXPECT_EQ(g.version, 3);
  ASSERT_OK(s->Commit({Write::Delete(Table::kConnections, "x", 3),
                       Write::Insert(Table::kConnections, MakeRow("x", "", "", "again"))}));
  EXPECT_EQ(MustGet(*s, Table::kConnections, "x").version, 1);
}

TEST_P(StoreConformance, EmptyCommitAndEventOnlyCommit) {
  OPEN_OR_FAIL(s);
  ASSERT_OK(s->Commit({}, {}));
  EXPECT_THAT(MustEvents(s->ReadEvents(0, 10)), IsEmpty());
  ASSERT_OK(s->Commit({}, {EventAppend{"t", "{}", 3}}));
  auto ev = MustEvents(s->ReadEvents(0, 10));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].topic, "t");
}

TEST_P(StoreConformance, InvalidWritesAreRejectedWithoutEffect) {
  OPEN_OR_FAIL(s);
  Status empty_id = s->Commit({Write::Insert(Table::kTickets, MakeRow("ok", "", "", "{}")),
                               Write::Insert(Table::kTickets, MakeRow("", "", "", "{}"))},
                              {EventAppend{"t", "{}", 1}});
  EXPECT_EQ(CodeOf(empty_id), ErrorCode::kInvalidArgument);
  auto ok_row = s->Get(Table::kTickets, "ok");
  ASSERT_TRUE(ok_row.ok());
  EXPECT_FALSE(ok_row->has_value());
  EXPECT_THAT(MustEvents(s->ReadEvents(0, 10)), IsEmpty());

  Write bad_op = Write::Insert(Table::kTickets, MakeRow("ok", "", "", "{}"));
  bad_op.op = static_cast<Write::Op>(17);
  EXPECT_EQ(CodeOf(s->Commit({bad_op})), ErrorCode::kInvalidArgument);
  auto still_absent = s->Get(Table::kTickets, "ok");
  ASSERT_TRUE(still_absent.ok());
  EXPECT_FALSE(still_absent->has_value());

  const Table bad = static_cast<Table>(kTableCount + 3);
  EXPECT_EQ(CodeOf(CommitOne(*s, Write::Insert(bad, MakeRow("x", "", "", "{}")))),
            ErrorCode::kInvalidArgument);
  auto g = s->Get(bad, "x");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, ErrorCode::kInvalidArgument);
  auto l = s->List(bad, "", 10);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code, ErrorCode::kInvalidArgument);
  auto li = s->ListByIndex(static_cast<Table>(-1), "", 10);
  ASSERT_FALSE(li.ok());
  EXPECT_EQ(li.error().code, ErrorCode::kInvalidArgument);
  auto ls = s->ListByStatus(bad, "", "", 10);
  ASSERT_FALSE(ls.ok());
  EXPECT_EQ(ls.error().code, ErrorCode::kInvalidArgument);
}

// ---- group commit ------------------------------------------------------------------------

Batch MakeBatch(std::vector<Write> writes, std::vector<EventAppend> events = {}) {
  Batch b;
  b.writes = std::move(writes);
  b.events = std::move(events);
  return b;
}

TEST_P(StoreConformance, GroupCommitAppliesEveryBatchWithItsEventsInOrder) {
  OPEN_OR_FAIL(s);
  std::vector<Batch> group;
  for (int i = 0; i < 50; ++i) {
    std::string id = "t-" + std::to_string(100 + i);
    group.push_back(MakeBatch({Write::Insert(Table::kTickets, MakeRow(id, "p", "QUEUED", "{}", i))},
                              {EventAppend{"matchmaking", "{\"i\":" + std::to_string(i) + "}", i}}));
  }
  auto r = s->CommitGroup(group);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 50u);
  for (const Status& st : *r) EXPECT_TRUE(st.ok());
  EXPECT_EQ(MustList(s->ListByIndex(Table::kTickets, "p", 100)).size(), 50u);
  auto ev = MustEvents(s->ReadEvents(0, 100));
  ASSERT_EQ(ev.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(ev[i].body, "{\"i\":" + std::to_string(i) + "}");
}

TEST_P(StoreConformance, GroupCommitUndoesOnlyTheBatchWhoseConditionFails) {
  OPEN_OR_FAIL(s);
  ASSERT_OK(CommitOne(*s, Write::Insert(Table::kTickets, MakeRow("taken", "", "", "orig"))));
  std::vector<Batch> group;
  group.push_back(MakeBatch({Write::Insert(Table::kTickets, MakeRow("a", "", "", "a"))},
                            {EventAppend{"t", "a", 1}}));
  // Its first write would apply; its second fails: the whole batch and its event are undone.
  group.push_back(MakeBatch({Write::Insert(Table::kTickets, MakeRow("b", "", "", "b")),
                             Write::Insert(Table::kTickets, MakeRow("taken", "", "", "stolen"))},
                            {EventAppend{"t", "b", 2}}));
  group.push_back(MakeBatch({Write::Update(Table::kTickets, MakeRow("a", "", "", "a2"), 1)},
                            {EventAppend{"t", "c", 3}}));  // sees batch 0's insert
  group.push_back(MakeBatch({Write::Update(Table::kTickets, MakeRow("b", "", "", "b2"), 1)}));
  auto r = s->CommitGroup(group);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 4u);
  EXPECT_TRUE((*r)[0].ok());
  ASSERT_EQ(CodeOf((*r)[1]), ErrorCode::kConflict);
  EXPECT_THAT((*r)[1].error().message, HasSubstr("taken"));
  EXPECT_TRUE((*r)[2].ok());
  EXPECT_EQ(CodeOf((*r)[3]), ErrorCode::kConflict);  // "b" was never inserted
  EXPECT_EQ(MustGet(*s, Table::kTickets, "a").body, "a2");
  EXPECT_EQ(MustGet(*s, Table::kTickets, "taken").body, "orig");
  auto b = s->Get(Table::kTickets, "b");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());
  auto ev = MustEvents(s->ReadEvents(0, 100));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].body, "a");
  EXPECT_EQ(ev[1].body, "c");
}

TEST_P(StoreConformance, GroupCommitUndoesABatchThatWritesOneRowTwice) {
  OPEN_OR_FAIL(s);
  std::vector<Batch> group;
  // Its second write's condition holds only after its first write.
  group.push_back(MakeBatch({Write::Insert(Table::kTickets, MakeRow("r", "", "", "r1")),
                             Write::Update(Table::kTickets, MakeRow("r", "", "", "r2"), 1)},
                            {EventAppend{"t", "r", 1}}));
  // Its second write's condition fails after its first write applied: both are undone.
  group.push_back(MakeBatch({Write::Insert(Table::kTickets, MakeRow("x", "", "", "x1")),
                             Write::Update(Table::kTickets, MakeRow("x", "", "", "x2"), 7)},
                            {EventAppend{"t", "x", 2}}));
  group.push_back(MakeBatch({Write::Update(Table::kTickets, MakeRow("r", "", "", "r3"), 2)}));
  auto r = s->CommitGroup(group);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_TRUE((*r)[0].ok());
  EXPECT_EQ(CodeOf((*r)[1]), ErrorCode::kConflict);
  EXPECT_TRUE((*r)[2].ok());
  Row row = MustGet(*s, Table::kTickets, "r");
  EXPECT_EQ(row.body, "r3");
  EXPECT_EQ(row.version, 3);
  auto x = s->Get(Table::kTickets, "x");
  ASSERT_TRUE(x.ok());
  EXPECT_FALSE(x->has_value());
  auto ev = MustEvents(s->ReadEvents(0, 100));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].body, "r");
}

TEST_P(StoreConformance, GroupCommitReportsAnInvalidBatchInItsSlot) {
  OPEN_OR_FAIL(s);
  std::vector<Batch> group;
  group.push_back(MakeBatch({Write::Insert(Table::kTickets, MakeRow("", "", "", "{}"))},
                            {EventAppend{"t", "bad", 1}}));
  group.push_back(MakeBatch({}));  // an empty batch is a success that writes nothing
  group.push_back(MakeBatch({Write::Insert(Table::kTickets, MakeRow("good", "", "", "{}"))}));
  auto r = s->CommitGroup(group);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ(CodeOf((*r)[0]), ErrorCode::kInvalidArgument);
  EXPECT_TRUE((*r)[1].ok());
  EXPECT_TRUE((*r)[2].ok());
  EXPECT_EQ(MustGet(*s, Table::kTickets, "good").version, 1);
  EXPECT_THAT(MustEvents(s->ReadEvents(0, 10)), IsEmpty());

  auto none = s->CommitGroup({});
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_P(StoreConformance, GroupCommitSkipsTheLaterBatchesOfAShardThatFailed) {
  OPEN_OR_FAIL(s);
  ASSERT_OK(CommitOne(*s, Write::Insert(Table::kTickets, MakeRow("taken", "", "", "orig"))));
  auto shard_batch = [](std::string shard, std::string id) {
    Batch b = MakeBatch({Write::Insert(Table::kTickets, MakeRow(std::move(id), "", "", "{}"))},
                        {EventAppend{"t", "{}", 1}});
    b.shard = std::move(shard);
    return b;
  };
  std::vector<Batch> group;
  group.push_back(shard_batch("s", "s-1"));
  group.push_back(shard_batch("s", "taken"));     // fails its condition
  group.push_back(shard_batch("s", "s-3"));       // built on the failed one: not applied
  group.push_back(shard_batch("t", "t-1"));       // another shard goes on
  group.push_back(shard_batch("u", ""));          // invalid
  group.push_back(shard_batch("u", "u-2"));       // not applied
  group.push_back(shard_batch("", "free"));       // no shard
  auto r = s->CommitGroup(group);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 7u);
  EXPECT_TRUE((*r)[0].ok());
  EXPECT_EQ(CodeOf((*r)[1]), ErrorCode::kConflict);
  ASSERT_EQ(CodeOf((*r)[2]), ErrorCode::kUnavailable);
  EXPECT_THAT((*r)[2].error().message, HasSubstr("'s'"));
  EXPECT_TRUE((*r)[3].ok());
  EXPECT_EQ(CodeOf((*r)[4]), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf((*r)[5]), ErrorCode::kUnavailable);
  EXPECT_TRUE((*r)[6].ok());
  EXPECT_THAT(Ids(MustList(s->List(Table::kTickets, "", 100))),
              ElementsAre("free", "s-1", "t-1", "taken"));
  EXPECT_EQ(MustEvents(s->ReadEvents(0, 100)).size(), 3u);

  // Only LATER batches depend on a failed one: an invalid batch does not undo the earlier ones
  // of its shard, and an empty batch after a failure is not a success.
  std::vector<Batch> second;
  second.push_back(shard_batch("v", "v-1"));
  second.push_back(shard_batch("v", ""));  // invalid
  second.push_back(MakeBatch({}));
  second.back().shard = "v";
  auto r2 = s->CommitGroup(second);
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_TRUE((*r2)[0].ok());
  EXPECT_EQ(CodeOf((*r2)[1]), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf((*r2)[2]), ErrorCode::kUnavailable);
  EXPECT_EQ(MustGet(*s, Table::kTickets, "v-1").version, 1);
}

TEST_P(StoreConformance, GroupCommitsFromTwoInstancesLoseNothing) {
  OPEN_OR_FAIL(a);
  OPEN_OR_FAIL(b);
  constexpr int kGroups = 20, kPerGroup = 25;
  auto run = [&](Store* s, std::string prefix, std::string* failure) {
    for (int g = 0; g < kGroups; ++g) {
      std::vector<Batch> group;
      for (int i = 0; i < kPerGroup; ++i) {
        group.push_back(MakeBatch(
            {Write::Insert(Table::kTickets, MakeRow(prefix + std::to_string(g * kPerGroup + i), "x", "", "{}"))},
            {EventAppend{"t", prefix, 1}}));
      }
      auto r = s->CommitGroup(group);
      if (!r.ok()) {
        *failure = r.error().message;
        return;
      }
      for (const Status& st : *r) {
        if (!st.ok()) {
          *failure = st.error().message;
          return;
        }
      }
    }
  };
  std::string fa, fb;
  std::thread ta(run, a.get(), "a-", &fa), tb(run, b.get(), "b-", &fb);
  ta.join();
  tb.join();
  ASSERT_EQ(fa, "");
  ASSERT_EQ(fb, "");
  EXPECT_EQ(MustList(a->ListByIndex(Table::kTickets, "x", 10000)).size(), 2u * kGroups * kPerGroup);
  EXPECT_EQ(MustEvents(b->ReadEvents(0, 10000)).size(), 2u * kGroups * kPerGroup);
}

TEST_P(StoreConformance, EventsHaveIncreasingSeqAndPage) {
  OPEN_OR_FAIL(s);
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(s->Commit({Write::Upsert(Table::kMatches, MakeRow("m", "", "", "{}"))},
                        {EventAppend{"matchmaking", "{\"i\":" + std::to_string(i) + "}", 1000 + i},
                         EventAppend{"placement", "{}", 2000 + i}}));
  }
  auto all = MustEvents(s->ReadEvents(0, 100));
  ASSERT_EQ(all.size(), 10u);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_GT(all[i].seq, all[i - 1].seq);
  EXPECT_GT(all[0].seq, 0);
  EXPECT_EQ(all[0].topic, "matchmaking");
  EXPECT_EQ(all[0].body, "{\"i\":0}");
  EXPECT_EQ(all[0].time, 1000);
  EXPECT_EQ(all[1].topic, "placement");  // events of one commit keep their order
  EXPECT_EQ(all[1].time, 2000);

  auto page = MustEvents(s->ReadEvents(all[2].seq, 3));
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].seq, all[3].seq);
  EXPECT_EQ(page[2].seq, all[5].seq);
  EXPECT_THAT(MustEvents(s->ReadEvents(all[9].seq, 10)), IsEmpty());
  EXPECT_THAT(MustEvents(s->ReadEvents(0, 0)), IsEmpty());
  EXPECT_EQ(MustEvents(s->ReadEvents(-5, 100)).size(), 10u);
}

TEST_P(StoreConformance, LastEventSeqIsTheHighestEverAppendedEvenAfterTrimming) {
  OPEN_OR_FAIL(s);
  EXPECT_EQ(s->LastEventSeq().value_or(-1), 0);
  ASSERT_OK(s->Commit({}, {EventAppend{"t", "{}", 1}, EventAppend{"t", "{}", 2}}));
  auto all = MustEvents(s->ReadEvents(0, 10));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(s->LastEventSeq().value_or(-1), all[1].seq);
  ASSERT_OK(s->TrimEvents(all[1].seq));
  EXPECT_EQ(s->LastEventSeq().value_or(-1), all[1].seq);
  // A commit without events does not move it.
  ASSERT_OK(s->Commit({Write::Upsert(Table::kFleets, MakeRow("f", "", "", "{}", 1))}));
  EXPECT_EQ(s->LastEventSeq().value_or(-1), all[1].seq);
}

TEST_P(StoreConformance, TrimEventsDropsPrefixAndSeqNeverRepeats) {
  std::int64_t last = 0;
  {
    OPEN_OR_FAIL(s);
    for (int i = 0; i < 6; ++i) ASSERT_OK(s->Commit({}, {EventAppend{"t", "{}", i}}));
    auto all = MustEvents(s->ReadEvents(0, 100));
    ASSERT_EQ(all.size(), 6u);
    ASSERT_OK(s->TrimEvents(all[3].seq));
    auto rest = MustEvents(s->ReadEvents(0, 100));
    ASSERT_EQ(rest.size(), 2u);
    EXPECT_EQ(rest[0].seq, all[4].seq);
    ASSERT_OK(s->TrimEvents(all[3].seq));  // idempotent
    ASSERT_OK(s->TrimEvents(all[5].seq));  // trims everything
    EXPECT_THAT(MustEvents(s->ReadEvents(0, 100)), IsEmpty());
    ASSERT_OK(s->Commit({}, {EventAppend{"t", "{}", 9}}));
    auto next = MustEvents(s->ReadEvents(0, 100));
    ASSERT_EQ(next.size(), 1u);
    EXPECT_GT(next[0].seq, all[5].seq);
    last = next[0].seq;
    ASSERT_OK(s->TrimEvents(last));
  }
  // Even with the outbox empty, a reopened store never hands out a seq a consumer has seen.
  OPEN_OR_FAIL(s);
  ASSERT_OK(s->Commit({}, {EventAppend{"t", "{}", 10}}));
  auto ev = MustEvents(s->ReadEvents(0, 100));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_GT(ev[0].seq, last);
}

TEST_P(StoreConformance, PurgeByStatusDeletesOnlyOldRowsOfThatStatusOldestFirst) {
  OPEN_OR_FAIL(s);
  std::vector<Write> writes;
  for (int i = 0; i < 6; ++i) {
    writes.push_back(Write::Insert(Table::kTickets, MakeRow("done-" + std::to_string(i), "p", "COMPLETED", "{}",
                                                            100 + (5 - i) * 10)));
  }
  writes.push_back(Write::Insert(Table::kTickets, MakeRow("live", "p", "SEARCHING", "{}", 1)));
  writes.push_back(Write::Insert(Table::kTickets, MakeRow("fresh", "p", "COMPLETED", "{}", 1000)));
  writes.push_back(Write::Insert(Table::kPlacements, MakeRow("other-table", "q", "COMPLETED", "{}", 1)));
  ASSERT_OK(s->Commit(writes));
  // updated: done-5 = 100, done-4 = 110, ... done-0 = 150. Cutoff 145 leaves done-0.
  auto first = s->PurgeByStatus(Table::kTickets, "COMPLETED", 145, 2);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, 2u);
  EXPECT_FALSE(s->Get(Table::kTickets, "done-5")->has_value());
  EXPECT_FALSE(s->Get(Table::kTickets, "done-4")->has_value());
  EXPECT_TRUE(s->Get(Table::kTickets, "done-3")->has_value());
  auto rest = s->PurgeByStatus(Table::kTickets, "COMPLETED", 145, 100);
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  EXPECT_EQ(*rest, 3u);
  EXPECT_TRUE(s->Get(Table::kTickets, "done-0")->has_value());
  EXPECT_TRUE(s->Get(Table::kTickets, "fresh")->has_value());
  EXPECT_TRUE(s->Get(Table::kTickets, "live")->has_value());
  EXPECT_TRUE(s->Get(Table::kPlacements, "other-table")->has_value());
  auto none = s->PurgeByStatus(Table::kTickets, "COMPLETED", 145, 100);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
  EXPECT_FALSE(s->PurgeByStatus(static_cast<Table>(99), "x", 1, 1).ok());
}

TEST_P(StoreConformance, UnicodeRoundTrips) {
  OPEN_OR_FAIL(s);
  const std::string id = "joueur-\xc3\xa9t\xc3\xa9-\xf0\x9f\x8e\xae";  // é, 🎮
  const std::string index = "\xe6\x97\xa5\xe6\x9c\xac";                // 日本
  const std::string body = "{\"name\":\"Zo\xc3\xab \xf0\x9f\x98\x80 \xd0\x9f\xd1\x80\xd0\xb8\"}";
  ASSERT_OK(s->Commit({Write::Insert(Table::kPlayerData, MakeRow(id, index, "\xce\xb1", body))},
                      {EventAppend{"\xce\xb2", body, 1}}));
  Row g = MustGet(*s, Table::kPlayerData, id);
  EXPECT_EQ(g.id, id);
  EXPECT_EQ(g.index, index);
  EXPECT_EQ(g.status, "\xce\xb1");
  EXPECT_EQ(g.body, body);
  EXPECT_THAT(Ids(MustList(s->ListByIndex(Table::kPlayerData, index, 10))), ElementsAre(id));
  auto ev = MustEvents(s->ReadEvents(0, 10));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].topic, "\xce\xb2");
  EXPECT_EQ(ev[0].body, body);
}

TEST_P(StoreConformance, OneMebibyteBodiesRoundTrip) {
  OPEN_OR_FAIL(s);
  std::string big = "{\"blob\":\"";
  while (big.size() < (1u << 20) - 2) big.push_back(static_cast<char>('a' + big.size() % 26));
  big += "\"}";
  ASSERT_EQ(big.size(), 1u << 20);
  ASSERT_OK(s->Commit({Write::Insert(Table::kPlayerData, MakeRow("big", "", "", big))},
                      {EventAppend{"big", big, 1}}));
  EXPECT_EQ(MustGet(*s, Table::kPlayerData, "big").body, big);
  auto rows = MustList(s->List(Table::kPlayerData, "", 10));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].body, big);
  auto ev = MustEvents(s->ReadEvents(0, 10));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].body, big);
  std::string bigger = big;
  bigger[100] = 'Z';
  ASSERT_OK(CommitOne(*s, Write::Update(Table::kPlayerData, MakeRow("big", "", "", bigger), 1)));
  EXPECT_EQ(MustGet(*s, Table::kPlayerData, "big").body, bigger);
}

TEST_P(StoreConformance, ReopenKeepsRowsVersionsAndEvents) {
  {
    OPEN_OR_FAIL(s);
    ASSERT_OK(s->Commit({Write::Insert(Table::kTickets, MakeRow("t", "i", "SEARCHING", "{}", 5))},
                        {EventAppend{"matchmaking", "{\"x\":1}", 5}}));
    ASSERT_OK(CommitOne(
        *s,
        Write::Update(Table::kTickets, MakeRow("t", "i", "COMPLETED", "{\"done\":true}", 6), 1)));
  }
  OPEN_OR_FAIL(s);
  Row g = MustGet(*s, Table::kTickets, "t");
  EXPECT_EQ(g.version, 2);
  EXPECT_EQ(g.status, "COMPLETED");
  EXPECT_EQ(g.body, "{\"done\":true}");
  EXPECT_EQ(g.updated, 6);
  EXPECT_THAT(Ids(MustList(s->ListByStatus(Table::kTickets, "COMPLETED", "", 10))),
              ElementsAre("t"));
  auto ev = MustEvents(s->ReadEvents(0, 10));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].body, "{\"x\":1}");
  ASSERT_OK(CommitOne(*s, Write::Update(Table::kTickets, g, 2)));
}

TEST_P(StoreConformance, TwoInstancesSeeEachOthersCommits) {
  OPEN_OR_FAIL(a);
  OPEN_OR_FAIL(b);
  ASSERT_OK(a->Commit({Write::Insert(Table::kFleets, MakeRow("f", "", "ACTIVE", "from-a"))},
                      {EventAppend{"fleet", "a", 1}}));
  Row seen = MustGet(*b, Table::kFleets, "f");
  EXPECT_EQ(seen.body, "from-a");
  ASSERT_OK(b->Commit({Write::Update(Table::kFleets, MakeRow("f", "", "ACTIVE", "from-b"), 1)},
                      {EventAppend{"fleet", "b", 2}}));
  EXPECT_EQ(MustGet(*a, Table::kFleets, "f").body, "from-b");
  EXPECT_EQ(MustGet(*a, Table::kFleets, "f").version, 2);
  auto ev_a = MustEvents(a->ReadEvents(0, 10));
  auto ev_b = MustEvents(b->ReadEvents(0, 10));
  ASSERT_EQ(ev_a.size(), 2u);
  ASSERT_EQ(ev_b.size(), 2u);
  EXPECT_EQ(ev_a[1].body, "b");
  EXPECT_EQ(ev_a[0].seq, ev_b[0].seq);
  // a's stale view loses against b's write.
  EXPECT_EQ(CodeOf(CommitOne(*a, Write::Update(Table::kFleets, MakeRow("f", "", "", "x"), 1))),
            ErrorCode::kConflict);
  ASSERT_OK(b->TrimEvents(ev_b[1].seq));
  EXPECT_THAT(MustEvents(a->ReadEvents(0, 10)), IsEmpty());
}

TEST_P(StoreConformance, RacingUpdatesOnTwoInstancesOneWins) {
  OPEN_OR_FAIL(a);
  OPEN_OR_FAIL(b);
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    const std::string id = "race-" + std::to_string(round);
    ASSERT_OK(CommitOne(*a, Write::Insert(Table::kGameSessions, MakeRow(id, "", "", "0"))));
    Row seen_a = MustGet(*a, Table::kGameSessions, id);
    Row seen_b = MustGet(*b, Table::kGameSessions, id);
    ASSERT_EQ(seen_a.version, 1);
    ASSERT_EQ(seen_b.version, 1);
    std::latch start(2);
    Status results[2];
    auto racer = [&](int slot, Store* s, Row row) {
      row.body = "winner-" + std::to_string(slot);
      start.arrive_and_wait();
      results[slot] = CommitOne(*s, Write::Update(Table::kGameSessions, row, 1));
    };
    std::thread ta(racer, 0, a.get(), seen_a);
    std::thread tb(racer, 1, b.get(), seen_b);
    ta.join();
    tb.join();
    int wins = (results[0].ok() ? 1 : 0) + (results[1].ok() ? 1 : 0);
    ASSERT_EQ(wins, 1) << "round " << round;
    int loser = results[0].ok() ? 1 : 0;
    EXPECT_EQ(results[loser].error().code, ErrorCode::kConflict) << results[loser].error().message;
    Row final_row = MustGet(*b, Table::kGameSessions, id);
    EXPECT_EQ(final_row.version, 2);
    EXPECT_EQ(final_row.body, "winner-" + std::to_string(1 - loser));
  }
}

TEST_P(StoreConformance, ConcurrentCasIncrementsLoseNoUpdate) {
  OPEN_OR_FAIL(a);
  OPEN_OR_FAIL(b);
  ASSERT_OK(CommitOne(*a, Write::Insert(Table::kQueues, MakeRow("counter", "", "", "0"))));
  constexpr int kThreads = 8;
  constexpr int kIncrements = 40;
  std::atomic<int> failures{0};
  std::string first_failure;
  std::mutex failure_mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    Store* s = (t % 2 == 0) ? a.get() : b.get();  // half the threads on each instance
    threads.emplace_back([&, s] {
      for (int i = 0; i < kIncrements; ++i) {
        Status st = CasIncrement(*s, Table::kQueues, "counter");
        if (!st.ok()) {
          std::lock_guard lock(failure_mu);
          if (failures++ == 0) first_failure = st.error().message;
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0) << first_failure;
  Row g = MustGet(*a, Table::kQueues, "counter");
  EXPECT_EQ(g.body, std::to_string(kThreads * kIncrements));
  EXPECT_EQ(g.version, kThreads * kIncrements + 1);
}

}  // namespace
}  // namespace muster::store::testing
