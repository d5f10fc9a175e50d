// A Node whose store refuses commits on demand (FaultStore over a real SQLite file): after each
// injected failure, memory and store agree.
#include <gtest/gtest.h>

#include <string>

#include "node/node.h"
#include "store/fault_store.h"
#include "store/temp_sqlite_store.h"

namespace muster::node {
namespace {

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
    matchmaking::PlayerInput p1, p2;
    p1.player_id = a;
    p2.player_id = b;
    auto t = node_.StartMatchmaking("cfg", {p1, p2}, "owner");
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
    return t.ok() ? t->ticket_id : "";
  }

  std::string StoredStatus(const std::string& ticket_id) {
    auto row = (*db_).Get(store::Table::kTickets, ticket_id);
    EXPECT_TRUE(row.ok());
    return row.ok() && row->has_value() ? (*row)->status : "(absent)";
  }

  matchmaking::ConfigurationSpec Current() {
    for (auto& c : node_.ListConfigurations()) {
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
  auto r = node_.UpdateConfiguration(update);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);

  // The update never happened: the configuration and the ticket are as they were, in memory and
  // in the store, also after the next run.
  EXPECT_EQ(Current().rule_set_name, "rules-2v2");
  clock_.Advance(1000);
  node_.RunMatchmaking();
  node_.Tick();
  EXPECT_EQ(StoredStatus(ticket), before);
  auto t = node_.GetTicket(ticket);
  ASSERT_TRUE(t.ok());
  EXPECT_NE(matchmaking::TicketStatusName(t->status), std::string("FAILED"));
  auto row = (*db_).Get(store::Table::kConfigurations, "cfg");
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_NE((*row)->body.find("rules-2v2"), std::string::npos);

  // Once the store works again the same update applies, and only then the ticket fails.
  auto again = node_.UpdateConfiguration(update);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(Current().rule_set_name, "rules-1v1");
  node_.RunMatchmaking();
  EXPECT_EQ(StoredStatus(ticket), "FAILED");
}

TEST_F(NodeFaultTest, ACreateWhoseCommitFailsLeavesNoConfiguration) {
  matchmaking::ConfigurationSpec spec = Current();
  spec.name = "cfg-new";
  faults_.FailCommits(0, 1, Error::Unavailable("injected: disk I/O error"));
  auto r = node_.CreateConfiguration(spec);
  ASSERT_FALSE(r.ok());
  for (const auto& c : node_.ListConfigurations()) EXPECT_NE(c.name, "cfg-new");
  auto row = (*db_).Get(store::Table::kConfigurations, "cfg-new");
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(row->has_value());
  matchmaking::PlayerInput p;
  p.player_id = "solo";
  EXPECT_FALSE(node_.StartMatchmaking("cfg-new", {p}, "owner").ok());
  // And it can be created once the store works.
  auto again = node_.CreateConfiguration(spec);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->name, "cfg-new");
}

}  // namespace
}  // namespace muster::node
