// A Node whose store refuses commits on demand (FaultStore over a real SQLite file): after each
// injected failure, memory and store agree.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "node/node.h"
#include "node/node_test_setup.h"
#include "store/fault_store.h"
#include "store/temp_sqlite_store.h"

namespace muster::node {
namespace {

using testing::Player;

constexpr const char* kRules2v2 = R"({
  "name": "r2v2", "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2}, {"name": "blue", "minPlayers": 2, "maxPlayers": 2}]
})";
// Teams of one: a ticket of two players cannot be matched under it.
constexpr const char* kRules1v1 = R"({
  "name": "r1v1", "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}]
})";

class NodeFaultTest : public ::testing::Test {
 protected:
  NodeFaultTest() : faults_(*db_), node_(faults_, env_) {}

  void SetUp() override {
    NodeSetup s;
    s.rule_sets.push_back({"rules-2v2", kRules2v2});
    s.rule_sets.push_back({"rules-1v1", kRules1v1});
    matchmaking::ConfigurationSpec spec;
    spec.name = "cfg";
    spec.rule_set_name = "rules-2v2";
    spec.mode = matchmaking::FlexMatchMode::kStandalone;
    spec.request_timeout_ms = 600'000;
    s.configurations.push_back(spec);
    Status st = node_.Start(s);
    ASSERT_TRUE(st.ok()) << st.error().message;
  }

  std::string StartPair(const std::string& a, const std::string& b) {
    auto t = node_.tickets().StartMatchmaking("cfg", {Player(a), Player(b)}, "owner");
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
    return t.ok() ? t->ticket_id : "";
  }

  std::string StoredStatus(const std::string& ticket_id) {
    auto row = (*db_).Get(store::Table::kTickets, ticket_id);
    EXPECT_TRUE(row.ok());
    return row.ok() && row->has_value() ? (*row)->status : "(absent)";
  }

  matchmaking::ConfigurationSpec Current() {
    for (auto& c : node_.definitions().ListConfigurations()) {
      if (c.name == "cfg") return c;
    }
    ADD_FAILURE() << "no configuration cfg";
    return {};
  }

  store::testing::TempSqliteStore db_;
  store::FaultStore faults_;
  ManualClock clock_;
  SeededRandom random_{3};
  Env env_{clock_, random_};
  Node node_;
};

TEST_F(NodeFaultTest, AnUpdateWhoseCommitFailsChangesNothingAtAll) {
  const std::string ticket = StartPair("p1", "p2");
  node_.RunMatchmaking();
  const std::string before = StoredStatus(ticket);
  ASSERT_TRUE(before == "QUEUED" || before == "SEARCHING") << before;

  matchmaking::ConfigurationSpec update = Current();
  update.rule_set_name = "rules-1v1";  // would end the two-player ticket FAILED
  faults_.FailCommits(0, 1, Error::Unavailable("injected: disk I/O error"));
  auto r = node_.definitions().UpdateConfiguration(update);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);

  // The update never happened: the configuration and the ticket are as they were, in memory and
  // in the store, also after the next run.
  EXPECT_EQ(Current().rule_set_name, "rules-2v2");
  clock_.Advance(1000);
  node_.RunMatchmaking();
  node_.Tick();
  EXPECT_EQ(StoredStatus(ticket), before);
  auto t = node_.tickets().GetTicket(ticket);
  ASSERT_TRUE(t.ok());
  EXPECT_NE(matchmaking::TicketStatusName(t->status), std::string("FAILED"));
  auto row = (*db_).Get(store::Table::kConfigurations, "cfg");
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_NE((*row)->body.find("rules-2v2"), std::string::npos);

  // Once the store works again the same update applies, and only then the ticket fails.
  auto again = node_.definitions().UpdateConfiguration(update);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(Current().rule_set_name, "rules-1v1");
  node_.RunMatchmaking();
  EXPECT_EQ(StoredStatus(ticket), "FAILED");
}

TEST_F(NodeFaultTest, ACreateWhoseCommitFailsLeavesNoConfiguration) {
  matchmaking::ConfigurationSpec spec = Current();
  spec.name = "cfg-new";
  faults_.FailCommits(0, 1, Error::Unavailable("injected: disk I/O error"));
  auto r = node_.definitions().CreateConfiguration(spec);
  ASSERT_FALSE(r.ok());
  for (const auto& c : node_.definitions().ListConfigurations()) EXPECT_NE(c.name, "cfg-new");
  auto row = (*db_).Get(store::Table::kConfigurations, "cfg-new");
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(row->has_value());
  EXPECT_FALSE(node_.tickets().StartMatchmaking("cfg-new", {Player("solo")}, "owner").ok());
  // And it can be created once the store works.
  auto again = node_.definitions().CreateConfiguration(spec);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->name, "cfg-new");
}

TEST_F(NodeFaultTest, AFailedMatchmakingRunReloadsTheNodeInsteadOfStoppingIt) {
  const std::string a = StartPair("p1", "p2");
  const std::string b = StartPair("p3", "p4");
  // The run matches a and b in memory; its commit fails. The old node aborted the process here.
  faults_.FailCommits(0, 1, Error::Unavailable("injected: disk I/O error"));
  node_.RunMatchmaking();
  EXPECT_EQ(node_.reloads(), 1u);
  EXPECT_FALSE(node_.fenced());
  // Memory was read back from the store: the tickets search again (not COMPLETED in memory only).
  EXPECT_NE(StoredStatus(a), "COMPLETED");
  EXPECT_NE(StoredStatus(b), "COMPLETED");
  // Their players still hold them (a second ticket is refused), and the next run matches them.
  matchmaking::PlayerInput p1 = Player("p1");
  auto again = node_.tickets().StartMatchmaking("cfg", {p1}, "owner");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  node_.RunMatchmaking();
  EXPECT_EQ(StoredStatus(a), "COMPLETED");
  EXPECT_EQ(StoredStatus(b), "COMPLETED");
}

TEST_F(NodeFaultTest, AReloadThatFailsFencesTheNodeUntilATickReloadsIt) {
  const std::string a = StartPair("p1", "p2");
  faults_.FailCommits(0, 1, Error::Unavailable("injected: disk I/O error"));
  faults_.SetReadFault(Error::Unavailable("injected: read error"));
  // Its commit fails, and the reload cannot read the store.
  EXPECT_FALSE(node_.tickets().StartMatchmaking("cfg", {Player("p3"), Player("p4")}, "owner").ok());
  EXPECT_TRUE(node_.fenced());
  auto refused = node_.tickets().StartMatchmaking("cfg", {Player("p5"), Player("p6")}, "owner");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  faults_.ClearFaults();
  // Polled while fenced: the committed ticket reads as stored.
  auto polled = node_.tickets().GetTicket(a);
  ASSERT_TRUE(polled.ok()) << polled.error().message;
  node_.Tick();  // reloads
  EXPECT_FALSE(node_.fenced());
  EXPECT_EQ(node_.reloads(), 2u);
  // p3 and p4 were never accepted: they may start now; p1 still holds its ticket.
  EXPECT_TRUE(node_.tickets().StartMatchmaking("cfg", {Player("p3"), Player("p4")}, "owner").ok());
  EXPECT_FALSE(node_.tickets().StartMatchmaking("cfg", {Player("p1")}, "owner").ok());
}

// The node with the group-commit writer, as musterd runs it: completions come back through a
// posted queue (the loop), which the test drains.
class NodeWriterTest : public NodeFaultTest {
 protected:
  static store::CommitWriterOptions Options() {
    store::CommitWriterOptions o;
    o.max_queued = 4;
    o.retries = 1;
    o.retry_backoff = std::chrono::milliseconds(1);
    return o;
  }
  void SetUp() override {
    NodeFaultTest::SetUp();
    node_.UseWriter(writer_, [this](std::function<void()> f) {
      std::lock_guard lock(mu_);
      posted_.push_back(std::move(f));
    });
  }
  void TearDown() override { writer_.Stop(); }

  // Runs posted work until `done` holds (false after 10 s).
  bool RunUntil(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::deque<std::function<void()>> batch;
      {
        std::lock_guard lock(mu_);
        batch.swap(posted_);
      }
      for (auto& f : batch) f();
      if (batch.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  struct Answer {
    bool done = false;
    Result<matchmaking::Ticket> ticket = Error::Internal("unanswered");
  };
  // Starts a one-player ticket; the answer lands in the returned slot.
  std::shared_ptr<Answer> StartAsync(const std::string& player) {
    auto a = std::make_shared<Answer>();
    node_.tickets().StartMatchmakingAsync("cfg", {Player(player)}, "owner", "", [a](Result<matchmaking::Ticket> t) {
      a->ticket = std::move(t);
      a->done = true;
    });
    return a;
  }
  // Runs what is posted now (the turn's flush among it), once.
  void Drain() {
    std::deque<std::function<void()>> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(posted_);
    }
    for (auto& f : batch) f();
  }
  // Starts one-player tickets, each in a turn of its own (so each is a batch of its own).
  std::vector<std::shared_ptr<Answer>> StartEachAlone(const std::vector<std::string>& players) {
    std::vector<std::shared_ptr<Answer>> out;
    for (const auto& p : players) {
      out.push_back(StartAsync(p));
      Drain();
    }
    return out;
  }
  static bool AllDone(const std::vector<std::shared_ptr<Answer>>& as) {
    for (const auto& a : as) {
      if (!a->done) return false;
    }
    return true;
  }

  store::CommitWriter writer_{faults_, Options()};
  std::mutex mu_;
  std::deque<std::function<void()>> posted_;
};

TEST_F(NodeWriterTest, ATicketIsAnsweredOnlyOnceItsRowIsDurableAndTicketsOfATurnShareABatch) {
  faults_.CloseGate();
  std::vector<std::shared_ptr<Answer>> answers{StartAsync("a1")};
  EXPECT_EQ(writer_.stats().submitted, 0u);  // staged in the turn's batch, not yet submitted
  Drain();                                    // the turn's flush
  ASSERT_TRUE(faults_.WaitForCommitAtGate(1));
  answers.push_back(StartAsync("a2"));
  answers.push_back(StartAsync("a3"));
  RunUntil([] { return false; });  // drains what is posted; nothing may be answered
  for (const auto& a : answers) EXPECT_FALSE(a->done);
  EXPECT_EQ(StoredStatus("(none)"), "(absent)");
  faults_.OpenGate();
  ASSERT_TRUE(RunUntil([&] { return AllDone(answers); }));
  for (const auto& a : answers) {
    ASSERT_TRUE(a->ticket.ok()) << a->ticket.error().message;
    EXPECT_EQ(StoredStatus(a->ticket->ticket_id), "QUEUED");
  }
  // a2 and a3 were started in one turn: one batch.
  EXPECT_EQ(writer_.stats().submitted, 2u);
  EXPECT_EQ(node_.flushes(), 2u);
  EXPECT_EQ(node_.flushed_changes(), 3u);
}

// A ticket started and matched in the same turn of the node's thread is written once, as it ends
// up: the run scheduled by its start is posted ahead of the turn's flush.
TEST_F(NodeWriterTest, ATicketStartedAndMatchedInOneTurnIsWrittenOnce) {
  auto reconfigured = Current();
  reconfigured.rule_set_name = "rules-1v1";
  ASSERT_TRUE(node_.definitions().UpdateConfiguration(reconfigured).ok());
  node_.SetRunScheduler([this](std::size_t side) {
    std::lock_guard lock(mu_);
    posted_.push_back([this, side] { node_.RunMatchmaking(side); });
  });
  std::vector<std::shared_ptr<Answer>> answers{StartAsync("a1"), StartAsync("a2")};
  const auto before = writer_.stats().submitted;
  ASSERT_TRUE(RunUntil([&] { return AllDone(answers); }));
  EXPECT_EQ(writer_.stats().submitted - before, 1u);  // starts, run and match: one batch
  for (const auto& a : answers) {
    ASSERT_TRUE(a->ticket.ok()) << a->ticket.error().message;
    EXPECT_EQ(a->ticket->status, matchmaking::TicketStatus::kQueued);  // the answer: as started
    auto row = (*db_).Get(store::Table::kTickets, a->ticket->ticket_id);
    ASSERT_TRUE(row.ok() && row->has_value());
    EXPECT_EQ((*row)->status, "COMPLETED");
    EXPECT_EQ((*row)->version, 1);  // inserted as it ended up, never updated
  }
  auto events = (*db_).ReadEvents(0, 100);
  ASSERT_TRUE(events.ok());
  std::size_t searching = 0;
  for (const auto& e : *events) searching += e.body.find("MatchmakingSearching") != std::string::npos;
  EXPECT_EQ(searching, 2u);  // every event of the ticket's life is still told
}

TEST_F(NodeWriterTest, ADiskFullMidBurstLosesNothingAcceptedAndAcceptsNothingRefused) {
  std::vector<std::shared_ptr<Answer>> first{StartAsync("a1"), StartAsync("a2")};
  ASSERT_TRUE(RunUntil([&] { return AllDone(first); }));
  faults_.SetDiskFull(true);
  std::vector<std::shared_ptr<Answer>> second{StartAsync("b1"), StartAsync("b2"), StartAsync("b3")};
  ASSERT_TRUE(RunUntil([&] { return AllDone(second); }));
  for (const auto& a : second) {
    ASSERT_FALSE(a->ticket.ok());
    EXPECT_EQ(a->ticket.error().code, ErrorCode::kUnavailable);
  }
  // Reloading needs the store to read only; it happened once, not once per refused ticket.
  EXPECT_EQ(node_.reloads(), 1u);
  faults_.SetDiskFull(false);
  // The refused players hold nothing (memory agrees with the store); the accepted ones do.
  std::vector<std::shared_ptr<Answer>> third{StartAsync("b1"), StartAsync("b2"), StartAsync("b3"), StartAsync("a1")};
  ASSERT_TRUE(RunUntil([&] { return AllDone(third); }));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(third[i]->ticket.ok()) << third[i]->ticket.error().message;
  ASSERT_FALSE(third[3]->ticket.ok());
  EXPECT_EQ(third[3]->ticket.error().code, ErrorCode::kConflict);
  for (const auto& a : first) EXPECT_EQ(StoredStatus(a->ticket->ticket_id), "QUEUED");
}

// A change staged in the turn of a batch that then fails is built on memory the reload drops: it
// is answered "unavailable" and never committed, and its player is free again. (The loop runs its
// queue in order, so the failure's answer normally comes after the change's flush, which then
// fails as fenced; here the flush is held back so that the reload finds the change staged.)
TEST_F(NodeWriterTest, ChangesOfTheTurnAfterAFailedBatchAreDroppedByTheReload) {
  faults_.CloseGate();
  std::vector<std::shared_ptr<Answer>> failed = StartEachAlone({"b1"});
  ASSERT_TRUE(faults_.WaitForCommitAtGate(1));
  auto staged = StartAsync("b2");
  std::deque<std::function<void()>> held_flush;
  {
    std::lock_guard lock(mu_);
    held_flush.swap(posted_);
  }
  ASSERT_EQ(held_flush.size(), 1u);
  faults_.SetDiskFull(true);
  faults_.OpenGate();
  ASSERT_TRUE(RunUntil([&] { return failed[0]->done; }));
  faults_.SetDiskFull(false);
  ASSERT_TRUE(RunUntil([&] { return staged->done; }));
  ASSERT_FALSE(staged->ticket.ok());
  EXPECT_EQ(staged->ticket.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(staged->ticket.error().message.find("reloading"), std::string::npos)
      << staged->ticket.error().message;
  for (auto& f : held_flush) f();  // nothing left to flush
  EXPECT_EQ(node_.reloads(), 1u);
  EXPECT_EQ(node_.flushes(), 1u);
  auto again = StartAsync("b2");
  ASSERT_TRUE(RunUntil([&] { return again->done; }));
  ASSERT_TRUE(again->ticket.ok()) << again->ticket.error().message;
  EXPECT_EQ(StoredStatus(again->ticket->ticket_id), "QUEUED");
}

TEST_F(NodeWriterTest, AWaitingCallerRefusedByAFullWriterGetsItsOwnAnswerInOrder) {
  faults_.CloseGate();
  std::vector<std::shared_ptr<Answer>> held = StartEachAlone({"a1"});
  ASSERT_TRUE(faults_.WaitForCommitAtGate(1));
  for (auto& a : StartEachAlone({"a2", "a3", "a4", "a5"})) held.push_back(a);  // max_queued = 4
  // A definitions change waits for its own answer; the writer refuses it at once, but its answer
  // comes after the tickets before it (the old node returned OK here, before them).
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    faults_.OpenGate();
  });
  auto created = node_.definitions().CreateRuleSet("rules-late", kRules1v1);
  opener.join();
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, ErrorCode::kUnavailable);
  for (const auto& a : held) {
    ASSERT_TRUE(a->done);  // delivered before the refused one
    EXPECT_TRUE(a->ticket.ok());
  }
  auto row = (*db_).Get(store::Table::kRuleSets, "rules-late");
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(row->has_value());
  EXPECT_TRUE(node_.definitions().CreateRuleSet("rules-late", kRules1v1).ok());  // and it works with room
}

// The turn not yet flushed will take a slot of the writer's queue: a command that would need the
// last slot is refused before it stages anything (it would otherwise be refused by the writer
// after changing memory, and the node would reload).
TEST_F(NodeWriterTest, TheUnflushedTurnKeepsItsSlotInTheWritersQueue) {
  faults_.CloseGate();
  std::vector<std::shared_ptr<Answer>> held = StartEachAlone({"a1"});
  ASSERT_TRUE(faults_.WaitForCommitAtGate(1));
  auto stopped_ticket = std::make_shared<Answer>();
  node_.tickets().StartMatchmakingAsync("cfg", {Player("a2")}, "owner", "t-a2",
                                        [stopped_ticket](Result<matchmaking::Ticket> t) {
                                          stopped_ticket->ticket = std::move(t);
                                          stopped_ticket->done = true;
                                        });
  Drain();
  held.push_back(stopped_ticket);
  for (auto& a : StartEachAlone({"a3", "a4"})) held.push_back(a);  // 3 of max_queued = 4 waiting
  held.push_back(StartAsync("a5"));  // staged in this turn, not flushed
  std::thread opener([&] {  // (without the kept slot, the stop would wait for the gate)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    faults_.OpenGate();
  });
  auto stop = node_.tickets().StopMatchmaking("t-a2");
  opener.join();
  ASSERT_FALSE(stop.ok());
  EXPECT_EQ(stop.error().code, ErrorCode::kUnavailable) << stop.error().message;
  ASSERT_TRUE(RunUntil([&] { return AllDone(held); }));
  for (const auto& a : held) EXPECT_TRUE(a->ticket.ok()) << a->ticket.error().message;
  EXPECT_EQ(node_.reloads(), 0u);
  EXPECT_EQ(StoredStatus("t-a2"), "QUEUED");  // the refused stop changed nothing
}

TEST_F(NodeWriterTest, AFullWriterRefusesAtOnceAndStagesNothing) {
  faults_.CloseGate();
  std::vector<std::shared_ptr<Answer>> held = StartEachAlone({"a1"});
  ASSERT_TRUE(faults_.WaitForCommitAtGate(1));
  for (auto& a : StartEachAlone({"a2", "a3", "a4", "a5"})) held.push_back(a);  // max_queued = 4
  auto refused = StartAsync("a6");
  ASSERT_TRUE(refused->done);  // at once, from the loop thread
  ASSERT_FALSE(refused->ticket.ok());
  EXPECT_EQ(refused->ticket.error().code, ErrorCode::kUnavailable);
  faults_.OpenGate();
  ASSERT_TRUE(RunUntil([&] { return AllDone(held); }));
  for (const auto& a : held) EXPECT_TRUE(a->ticket.ok());
  EXPECT_EQ(node_.reloads(), 0u);
  auto later = StartAsync("a6");  // nothing of the refused attempt stayed in memory
  ASSERT_TRUE(RunUntil([&] { return later->done; }));
  EXPECT_TRUE(later->ticket.ok()) << later->ticket.error().message;
}

}  // namespace
}  // namespace muster::node
