// Retention over a real SQLite store: ended rows go after their retention, live rows and young
// ones stay, and batches are bounded. (The outbox is trimmed by the dispatcher.)

#include "node/retention.h"

#include <gtest/gtest.h>

#include "store/temp_sqlite_store.h"

namespace muster::node {
namespace {

using store::Row;
using store::Table;
using store::Write;

constexpr Millis kHour = 3600 * 1000;
constexpr Millis kDay = 24 * kHour;

Write Ended(Table t, const std::string& id, const std::string& status, Millis updated) {
  return Write::Insert(t, Row{id, "", status, "{}", 0, updated});
}

bool Has(store::Store& s, Table t, const std::string& id) {
  auto r = s.Get(t, id);
  return r.ok() && r->has_value();
}

TEST(Retention, EndedRowsGoAfterTheirRetentionLiveAndYoungOnesStay) {
  store::testing::TempSqliteStore db;
  ManualClock clock(100 * kDay);
  const Millis now = clock.NowMillis();
  ASSERT_TRUE((*db).Commit({
      Ended(Table::kTickets, "t-old", "COMPLETED", now - 25 * kHour),
      Ended(Table::kTickets, "t-cancelled", "CANCELLED", now - 25 * kHour),
      Ended(Table::kTickets, "t-young", "TIMED_OUT", now - 23 * kHour),
      Ended(Table::kTickets, "t-live", "SEARCHING", now - 50 * kDay),
      Ended(Table::kGameSessions, "gs-old", "TERMINATED", now - 31 * kDay),
      Ended(Table::kGameSessions, "gs-young", "TERMINATED", now - 29 * kDay),
      Ended(Table::kGameSessions, "gs-live", "ACTIVE", now - 90 * kDay),
      Ended(Table::kPlayerSessions, "ps-old", "TIMEDOUT", now - 31 * kDay),
      Ended(Table::kPlacements, "pl-old", "FULFILLED", now - 31 * kDay),
      Ended(Table::kPlacements, "pl-pending", "PENDING", now - 31 * kDay),
      Ended(Table::kProcesses, "p-old", "TERMINATED", now - 25 * kHour),
      Ended(Table::kProcesses, "p-active", "ACTIVE", now - 25 * kHour),
      Ended(Table::kCredentials, "ASIAOLD", "ACTIVE", now - 61 * 60 * 1000),
      Ended(Table::kCredentials, "ASIANEW", "ACTIVE", now - 59 * 60 * 1000),
      Ended(Table::kIdentities, "local:guest", "ACTIVE", now - 90 * kDay),
  }).ok());
  Retention retention(*db, clock, RetentionOptions{});
  auto report = retention.Run();
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->rows, 7u);
  EXPECT_FALSE(report->more);
  for (auto [t, id] : {std::pair{Table::kTickets, "t-old"}, {Table::kTickets, "t-cancelled"},
                       {Table::kGameSessions, "gs-old"}, {Table::kPlayerSessions, "ps-old"},
                       {Table::kPlacements, "pl-old"}, {Table::kProcesses, "p-old"},
                       {Table::kCredentials, "ASIAOLD"}}) {
    EXPECT_FALSE(Has(*db, t, id)) << id;
  }
  for (auto [t, id] : {std::pair{Table::kTickets, "t-young"}, {Table::kTickets, "t-live"},
                       {Table::kGameSessions, "gs-young"}, {Table::kGameSessions, "gs-live"},
                       {Table::kPlacements, "pl-pending"}, {Table::kProcesses, "p-active"},
                       {Table::kCredentials, "ASIANEW"}, {Table::kIdentities, "local:guest"}}) {
    EXPECT_TRUE(Has(*db, t, id)) << id;
  }
}

TEST(Retention, BatchesAreBoundedAndZeroKeepsForever) {
  store::testing::TempSqliteStore db;
  ManualClock clock(100 * kDay);
  std::vector<Write> writes;
  for (int i = 0; i < 25; ++i) {
    writes.push_back(Ended(Table::kTickets, "t" + std::to_string(i), "FAILED", 1000 + i));
  }
  writes.push_back(Ended(Table::kGameSessions, "gs", "ERROR", 1));
  ASSERT_TRUE((*db).Commit(writes).ok());
  RetentionOptions options;
  options.batch = 10;
  options.session_ms = 0;
  Retention retention(*db, clock, options);
  auto first = retention.Run();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->rows, 10u);
  EXPECT_TRUE(first->more);
  EXPECT_FALSE(Has(*db, Table::kTickets, "t0"));  // oldest first
  EXPECT_TRUE(Has(*db, Table::kTickets, "t24"));
  ASSERT_TRUE(retention.Run().ok());
  auto last = retention.Run();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->rows, 5u);
  EXPECT_FALSE(last->more);
  EXPECT_TRUE(Has(*db, Table::kGameSessions, "gs"));
}

}  // namespace
}  // namespace muster::node
