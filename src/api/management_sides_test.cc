// The management API over a node with two matchmaking sides (node/node.h, "Shards"): each
// operation is posted to the side that owns the configuration or the ticket it names, found from
// the request's body (a name or an ARN). Each side's thread is a queue run by hand: a check runs
// only the queue of the side the operation must reach, so an operation posted elsewhere is never
// answered. Over a real SQLite file, with the group-commit writer.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "api/management.h"
#include "node/node.h"
#include "node/node_test_setup.h"
#include "store/commit_writer.h"
#include "store/temp_sqlite_store.h"

namespace muster::api {
namespace {

class ManagementSidesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A configuration on the second side: what goes astray lands on the first (the default).
    for (int i = 0; other_.empty(); ++i) {
      std::string name = "mode-" + std::to_string(i);
      if (node_.MatchmakingSideOf(name) == 1) other_ = name;
    }
    side_other_ = node_.MatchmakingSideOf(other_);
    node::NodeSetup setup;
    setup.rule_sets.push_back({"rules", node::testing::kRules1v1});
    for (const std::string& name : {std::string("cfg"), other_}) {
      matchmaking::ConfigurationSpec spec;
      spec.name = name;
      spec.rule_set_name = "rules";
      spec.mode = matchmaking::FlexMatchMode::kStandalone;
      setup.configurations.push_back(spec);
    }
    Status st = node_.Start(setup);
    ASSERT_TRUE(st.ok()) << st.error().message;
    node_.UseWriter(writer_, server_.Poster(), {sides_[0].Poster(), sides_[1].Poster()});
  }
  void TearDown() override {
    writer_.Stop();
    for (auto& side : sides_) side.Run();
    server_.Run();
  }

  // Posts `op` and runs only `side`'s queue until it is answered (nullopt after 10 s).
  std::optional<net::HttpResponse> Call(const std::string& op, const std::string& body, std::size_t side) {
    std::optional<net::HttpResponse> answer;
    api_.Handle(op, body, [&answer](net::HttpResponse r) { answer = std::move(r); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!answer && std::chrono::steady_clock::now() < deadline) {
      if (sides_[side].Run() + server_.Run() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return answer;
  }

  store::testing::TempSqliteStore db_;
  ManualClock clock_{1'700'000'000'000};
  SeededRandom random_{3};
  Env env_{clock_, random_};
  node::Node node_{*db_, env_, node::NodeOptions{.matchmaking_shard = true, .matchmaking_sides = 2}};
  store::CommitWriter writer_{*db_};
  node::testing::PostQueue server_;
  node::testing::PostQueue sides_[2];
  ManagementApi api_{node_};
  std::string other_;
  std::size_t side_other_ = 0;
};

TEST_F(ManagementSidesTest, EachOperationRunsOnTheSideOfWhatItNames) {
  const std::string arn = "arn:aws:gamelift:local:000000000000:matchmakingconfiguration/" + other_;
  auto updated = Call("UpdateMatchmakingConfiguration", R"({"Name":")" + arn + R"(","Description":"second"})",
                      side_other_);
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(updated->status, 200) << updated->body;
  auto started = Call("StartMatchmaking",
                      R"({"ConfigurationName":")" + other_ + R"(","TicketId":"t1","Players":[{"PlayerId":"p1"}]})",
                      side_other_);
  ASSERT_TRUE(started.has_value());
  EXPECT_EQ(started->status, 200) << started->body;
  // Read on the calling thread: no queue is run.
  std::optional<net::HttpResponse> described;
  api_.Handle("DescribeMatchmaking", R"({"TicketIds":["t1"]})",
              [&described](net::HttpResponse r) { described = std::move(r); });
  ASSERT_TRUE(described.has_value());
  EXPECT_NE(described->body.find("QUEUED"), std::string::npos) << described->body;
  auto stopped = Call("StopMatchmaking", R"({"TicketId":"t1"})", side_other_);
  ASSERT_TRUE(stopped.has_value());
  EXPECT_EQ(stopped->status, 200) << stopped->body;
  EXPECT_EQ(node_.tickets().GetTicket("t1")->status, matchmaking::TicketStatus::kCancelled);
  auto backfill = Call("StartMatchBackfill",
                       R"({"ConfigurationName":")" + arn +
                           R"(","GameSessionArn":"own-session","Players":[{"PlayerId":"p2","Team":"red"}]})",
                       side_other_);
  ASSERT_TRUE(backfill.has_value());
  EXPECT_EQ(backfill->status, 200) << backfill->body;
  // The lists run on the first side and show every side's configurations.
  auto listed = Call("DescribeMatchmakingConfigurations", "{}", 0);
  ASSERT_TRUE(listed.has_value());
  EXPECT_NE(listed->body.find("\"second\""), std::string::npos) << listed->body;
  EXPECT_NE(listed->body.find("\"cfg\""), std::string::npos) << listed->body;
  auto deleted = Call("DeleteMatchmakingConfiguration", R"({"Name":")" + other_ + R"("})", side_other_);
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(deleted->status, 200) << deleted->body;
  EXPECT_FALSE(node_.definitions().FindConfiguration(other_).has_value());
  EXPECT_EQ(node_.reloads(), 0u);
}

}  // namespace
}  // namespace muster::api
