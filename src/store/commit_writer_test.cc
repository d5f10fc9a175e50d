// The group-commit writer over a real SQLite file, with faults injected by FaultStore.
#include "store/commit_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/conformance_util.h"
#include "store/fault_store.h"
#include "store/temp_sqlite_store.h"

namespace muster::store {
namespace {

using ::testing::HasSubstr;
using testing::MakeRow;
using testing::MustEvents;
using testing::MustList;

Batch TicketBatch(const std::string& id) {
  Batch b;
  b.writes.push_back(Write::Insert(Table::kTickets, MakeRow(id, "owner", "QUEUED", "{}")));
  b.events.push_back(EventAppend{"matchmaking", "{\"ticket\":\"" + id + "\"}", 1});
  return b;
}

// Collects completions; Wait blocks until `n` arrived.
class Outcomes {
 public:
  CommitWriter::Completion For(const std::string& id) {
    return [this, id](Status st) {
      std::lock_guard lock(mu_);
      if (!st.ok()) errors_[id] = st.error();
      ++count_[id];
      ++total_;
      cv_.notify_all();
    };
  }
  bool Wait(std::size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] { return total_ >= n; });
  }
  std::map<std::string, Error> errors() {
    std::lock_guard lock(mu_);
    return errors_;
  }
  // Every id completed exactly once.
  bool EachOnce(std::size_t n) {
    std::lock_guard lock(mu_);
    if (count_.size() != n) return false;
    for (auto& [id, c] : count_) {
      if (c != 1) return false;
    }
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Error> errors_;
  std::map<std::string, int> count_;
  std::size_t total_ = 0;
};

class CommitWriterTest : public ::testing::Test {
 protected:
  testing::TempSqliteStore db_;
  FaultStore faults_{*db_};
};

TEST_F(CommitWriterTest, ManySubmittersShareFewTransactionsAndEveryTicketIsStored) {
  CommitWriter writer(faults_, {.max_group = 512});
  Outcomes out;
  // Hold the first transaction at the gate so the others queue up behind it.
  faults_.CloseGate();
  ASSERT_OK(writer.Submit(TicketBatch("first"), out.For("first")));
  ASSERT_TRUE(faults_.WaitForCommitAtGate());
  constexpr int kThreads = 4, kPerThread = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        Status st = writer.Submit(TicketBatch(id), out.For(id));
        if (!st.ok()) ADD_FAILURE() << st.error().message;
      }
    });
  }
  for (auto& th : threads) th.join();
  faults_.OpenGate();
  ASSERT_TRUE(out.Wait(1 + kThreads * kPerThread));
  EXPECT_TRUE(out.errors().empty());
  EXPECT_TRUE(out.EachOnce(1 + kThreads * kPerThread));
  // 1 + 1000 commits in 1 + ceil(1000 / 512) transactions.
  EXPECT_EQ(faults_.counters().groups, 3u);
  EXPECT_EQ(writer.stats().largest_group, 512u);
  EXPECT_EQ(MustList((*db_).ListByIndex(Table::kTickets, "owner", 5000)).size(), 1001u);
  EXPECT_EQ(MustEvents((*db_).ReadEvents(0, 5000)).size(), 1001u);
}

TEST_F(CommitWriterTest, CompletionRunsOnlyAfterTheCommitIsInTheStore) {
  CommitWriter writer(faults_);
  std::promise<bool> seen;
  ASSERT_OK(writer.Submit(TicketBatch("t-1"), [&](Status st) {
    auto row = (*db_).Get(Table::kTickets, "t-1");  // read by another path: must be there
    seen.set_value(st.ok() && row.ok() && row->has_value());
  }));
  EXPECT_TRUE(seen.get_future().get());
}

TEST_F(CommitWriterTest, ATransientFailureIsRetriedAndLosesNothing) {
  CommitWriter writer(faults_, {.retries = 3, .retry_backoff = std::chrono::milliseconds(1)});
  faults_.FailCommits(0, 2, Error::Unavailable("injected: database is locked"));
  Outcomes out;
  ASSERT_OK(writer.Submit(TicketBatch("t-1"), out.For("t-1")));
  ASSERT_TRUE(out.Wait(1));
  EXPECT_TRUE(out.errors().empty());
  EXPECT_EQ(writer.stats().retries, 2u);
  EXPECT_EQ(faults_.counters().refused, 2u);
  EXPECT_EQ(MustList((*db_).ListByIndex(Table::kTickets, "owner", 10)).size(), 1u);
}

TEST_F(CommitWriterTest, AFullDiskFailsTheGroupWithItsReasonThenTheWriterRecovers) {
  CommitWriter writer(faults_, {.retries = 2, .retry_backoff = std::chrono::milliseconds(1)});
  faults_.SetDiskFull(true);
  Outcomes out;
  ASSERT_OK(writer.Submit(TicketBatch("lost-1"), out.For("lost-1")));
  ASSERT_TRUE(out.Wait(1));
  auto errors = out.errors();
  ASSERT_EQ(errors.count("lost-1"), 1u);
  EXPECT_EQ(errors["lost-1"].code, ErrorCode::kUnavailable);
  EXPECT_THAT(errors["lost-1"].message, HasSubstr("disk full"));
  EXPECT_EQ(writer.stats().failed_groups, 1u);
  EXPECT_EQ(faults_.counters().refused, 3u);  // the first attempt and two retries
  EXPECT_TRUE(MustList((*db_).ListByIndex(Table::kTickets, "owner", 10)).empty());

  faults_.SetDiskFull(false);
  ASSERT_OK(writer.Submit(TicketBatch("after"), out.For("after")));
  ASSERT_TRUE(out.Wait(2));
  EXPECT_EQ(out.errors().count("after"), 0u);
  EXPECT_EQ(MustList((*db_).ListByIndex(Table::kTickets, "owner", 10)).size(), 1u);
}

TEST_F(CommitWriterTest, AConflictFailsOnlyItsOwnBatch) {
  ASSERT_OK((*db_).Commit({Write::Insert(Table::kTickets, MakeRow("taken", "owner", "", "{}"))}, {}));
  CommitWriter writer(faults_);
  Outcomes out;
  faults_.CloseGate();
  ASSERT_OK(writer.Submit(TicketBatch("a"), out.For("a")));
  ASSERT_TRUE(faults_.WaitForCommitAtGate());
  ASSERT_OK(writer.Submit(TicketBatch("b"), out.For("b")));
  ASSERT_OK(writer.Submit(TicketBatch("taken"), out.For("taken")));
  ASSERT_OK(writer.Submit(TicketBatch("c"), out.For("c")));
  faults_.OpenGate();
  ASSERT_TRUE(out.Wait(4));
  auto errors = out.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors["taken"].code, ErrorCode::kConflict);
  EXPECT_EQ(faults_.counters().groups, 2u);  // "b", "taken" and "c" shared a transaction
  EXPECT_EQ(MustList((*db_).ListByIndex(Table::kTickets, "owner", 10)).size(), 4u);
  EXPECT_EQ(MustEvents((*db_).ReadEvents(0, 10)).size(), 3u);  // not the conflicting one's
}

TEST_F(CommitWriterTest, AFullQueueRefusesAtOnceAndKeepsWhatItHolds) {
  CommitWriter writer(faults_, {.max_queued = 10});
  Outcomes out;
  faults_.CloseGate();
  ASSERT_OK(writer.Submit(TicketBatch("held"), out.For("held")));
  ASSERT_TRUE(faults_.WaitForCommitAtGate());
  for (int i = 0; i < 10; ++i) {
    std::string id = "q" + std::to_string(i);
    ASSERT_OK(writer.Submit(TicketBatch(id), out.For(id)));
  }
  bool called = false;
  Status refused = writer.Submit(TicketBatch("over"), [&](Status) { called = true; });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(refused.error().message, HasSubstr("10 commits are waiting"));
  EXPECT_EQ(writer.stats().refused, 1u);
  faults_.OpenGate();
  ASSERT_TRUE(out.Wait(11));
  EXPECT_TRUE(out.errors().empty());
  EXPECT_FALSE(called);
  EXPECT_EQ(MustList((*db_).ListByIndex(Table::kTickets, "owner", 100)).size(), 11u);
}

TEST_F(CommitWriterTest, StopCommitsEverythingQueuedThenRefuses) {
  Outcomes out;
  {
    CommitWriter writer(faults_);
    faults_.CloseGate();
    ASSERT_OK(writer.Submit(TicketBatch("held"), out.For("held")));
    ASSERT_TRUE(faults_.WaitForCommitAtGate());
    for (int i = 0; i < 100; ++i) {
      std::string id = "s" + std::to_string(i);
      ASSERT_OK(writer.Submit(TicketBatch(id), out.For(id)));
    }
    std::thread opener([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      faults_.OpenGate();
    });
    writer.Stop();  // waits for the held transaction and the queue behind it
    opener.join();
    EXPECT_TRUE(out.EachOnce(101));
    Status after = writer.Submit(TicketBatch("late"), out.For("late"));
    ASSERT_FALSE(after.ok());
    EXPECT_EQ(after.error().code, ErrorCode::kUnavailable);
    writer.Stop();  // idempotent
  }
  EXPECT_TRUE(out.errors().empty());
  EXPECT_EQ(MustList((*db_).ListByIndex(Table::kTickets, "owner", 1000)).size(), 101u);
}

Batch ShardBatch(const std::string& shard, const std::string& id) {
  Batch b = TicketBatch(id);
  b.shard = shard;
  return b;
}

TEST_F(CommitWriterTest, AFailedCommitFencesItsShardUntilUnfenced) {
  ASSERT_OK((*db_).Commit({Write::Insert(Table::kTickets, MakeRow("taken", "owner", "", "{}"))}, {}));
  CommitWriter writer(faults_);
  Outcomes out;
  faults_.CloseGate();
  ASSERT_OK(writer.Submit(ShardBatch("other", "held"), out.For("held")));
  ASSERT_TRUE(faults_.WaitForCommitAtGate());
  // One group: shard "cfg-a" fails on "taken"; its later batch was built on that change.
  ASSERT_OK(writer.Submit(ShardBatch("cfg-a", "taken"), out.For("taken")));
  ASSERT_OK(writer.Submit(ShardBatch("cfg-a", "after-taken"), out.For("after-taken")));
  ASSERT_OK(writer.Submit(ShardBatch("cfg-b", "b-1"), out.For("b-1")));
  ASSERT_OK(writer.Submit(TicketBatch("no-shard"), out.For("no-shard")));
  faults_.OpenGate();
  ASSERT_TRUE(out.Wait(5));
  auto errors = out.errors();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors["taken"].code, ErrorCode::kConflict);
  EXPECT_EQ(errors["after-taken"].code, ErrorCode::kUnavailable);
  EXPECT_THAT(errors["after-taken"].message, HasSubstr("cfg-a"));
  EXPECT_TRUE(writer.Fenced("cfg-a"));
  EXPECT_FALSE(writer.Fenced("cfg-b"));
  EXPECT_FALSE(writer.Fenced(""));

  // Fenced: refused at once, nothing written, until the owner has reloaded and unfences.
  Status refused = writer.Submit(ShardBatch("cfg-a", "a-2"), out.For("a-2"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(refused.error().message, HasSubstr("fenced"));
  ASSERT_OK(writer.Submit(ShardBatch("cfg-b", "b-2"), out.For("b-2")));  // others go on
  ASSERT_TRUE(out.Wait(6));
  writer.Unfence("cfg-a");
  ASSERT_OK(writer.Submit(ShardBatch("cfg-a", "a-3"), out.For("a-3")));
  ASSERT_TRUE(out.Wait(7));
  EXPECT_EQ(out.errors().size(), 2u);
  auto stored = testing::Ids(MustList((*db_).ListByIndex(Table::kTickets, "owner", 100)));
  EXPECT_THAT(stored, ::testing::ElementsAre("a-3", "b-1", "b-2", "held", "no-shard", "taken"));
}

TEST_F(CommitWriterTest, BatchesQueuedBehindAFailedGroupOfTheirShardAreNotCommitted) {
  CommitWriter writer(faults_, {.retries = 0});
  Outcomes out;
  faults_.CloseGate();
  ASSERT_OK(writer.Submit(ShardBatch("cfg-a", "a-1"), out.For("a-1")));
  ASSERT_TRUE(faults_.WaitForCommitAtGate());
  faults_.FailCommits(0, 1, Error::Unavailable("injected: I/O error"));
  ASSERT_OK(writer.Submit(ShardBatch("cfg-a", "a-2"), out.For("a-2")));  // queued behind a-1
  faults_.OpenGate();
  ASSERT_TRUE(out.Wait(2));
  auto errors = out.errors();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_THAT(errors["a-1"].message, HasSubstr("I/O error"));
  EXPECT_THAT(errors["a-2"].message, HasSubstr("fenced"));
  EXPECT_EQ(writer.stats().fenced_batches, 1u);
  EXPECT_TRUE(MustList((*db_).ListByIndex(Table::kTickets, "owner", 10)).empty());
}

TEST_F(CommitWriterTest, BatchesQueuedBeforeAnUnfenceAreNeverCommitted) {
  // One batch per group, so the failed batch and the one built on it are in different groups.
  CommitWriter writer(faults_, {.max_group = 1, .retries = 0});
  Outcomes out;
  faults_.CloseGate();
  std::promise<void> unfenced;
  ASSERT_OK(writer.Submit(ShardBatch("cfg-a", "a-1"), [&](Status st) {
    EXPECT_FALSE(st.ok());
    // A very fast owner reloads and unfences before the writer takes its next group.
    writer.Unfence("cfg-a");
    unfenced.set_value();
  }));
  ASSERT_TRUE(faults_.WaitForCommitAtGate());
  faults_.FailCommits(0, 1, Error::Unavailable("injected: I/O error"));
  ASSERT_OK(writer.Submit(ShardBatch("cfg-a", "a-2"), out.For("a-2")));  // built on a-1
  faults_.OpenGate();
  unfenced.get_future().get();
  ASSERT_TRUE(out.Wait(1));
  EXPECT_THAT(out.errors()["a-2"].message, HasSubstr("fenced"));
  EXPECT_FALSE(writer.Fenced("cfg-a"));
  ASSERT_OK(writer.Submit(ShardBatch("cfg-a", "a-3"), out.For("a-3")));  // after the reload
  ASSERT_TRUE(out.Wait(2));
  EXPECT_EQ(out.errors().count("a-3"), 0u);
  EXPECT_THAT(testing::Ids(MustList((*db_).ListByIndex(Table::kTickets, "owner", 10))),
              ::testing::ElementsAre("a-3"));
}

TEST_F(CommitWriterTest, AThrowingCompletionDoesNotStopTheWriter) {
  CommitWriter writer(faults_);
  Outcomes out;
  ASSERT_OK(writer.Submit(TicketBatch("a"), [](Status) { throw std::runtime_error("boom"); }));
  ASSERT_OK(writer.Submit(TicketBatch("b"), out.For("b")));
  ASSERT_TRUE(out.Wait(1));
  EXPECT_TRUE(out.errors().empty());
  EXPECT_EQ(MustList((*db_).ListByIndex(Table::kTickets, "owner", 10)).size(), 2u);
}

}  // namespace
}  // namespace muster::store
