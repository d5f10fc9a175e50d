// The matchmaking operations of the management API against a real Node on a real SQLite file:
// parsing, validation with field paths, wire error types, persistence across a restart.
#include "api/management.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "api/management_codec.h"
#include "store/sqlite_store.h"

namespace muster::api {
namespace {

constexpr const char* kRules2v2 = R"({
  "name": "t2v2", "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2}, {"name": "blue", "minPlayers": 2, "maxPlayers": 2}],
  "rules": [{"name": "Band", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 500}]
})";
constexpr const char* kQueueArn = "arn:aws:gamelift:local:000000000000:gamesessionqueue/q1";

struct Reply {
  int status = 0;
  json::object body;
  std::string type() const { return body.contains("__type") ? std::string(body.at("__type").as_string()) : ""; }
  std::string message() const { return body.contains("message") ? std::string(body.at("message").as_string()) : ""; }
};

class ManagementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("muster-mgmt-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Open();
  }
  void TearDown() override {
    api_.reset();
    node_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  node::NodeSetup Setup() const {
    node::NodeSetup s;
    node::FleetSetup f;
    f.fleet_id = "f1";
    f.locations = {"custom-a"};
    f.computes.push_back({"f1", "c1", "custom-a", "127.0.0.1", "", "token", 0});
    s.fleets.push_back(f);
    placement::QueueConfig q;
    q.name = "q1";
    q.arn = kQueueArn;
    q.fleets = {"f1"};
    s.queues.push_back(q);
    s.rule_sets.push_back({"setup-rules", kRules2v2});
    matchmaking::ConfigurationSpec spec;
    spec.name = "setup-cfg";
    spec.rule_set_name = "setup-rules";
    spec.queue_name = "q1";
    s.configurations.push_back(spec);
    return s;
  }

  // (Re)opens the store and starts a node on it, as a restart does.
  void Open() {
    api_.reset();
    node_.reset();
    store_.reset();
    auto s = store::OpenSqliteStore({(dir_ / "muster.db").string()});
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    node_ = std::make_unique<node::Node>(*store_, env_);
    auto st = node_->Start(Setup());
    ASSERT_TRUE(st.ok()) << st.error().message;
    api_ = std::make_unique<ManagementApi>(*node_);
  }

  Reply Call(std::string_view op, const json::value& body) { return CallRaw(op, ToJson(body)); }
  Reply CallRaw(std::string_view op, std::string_view body) {
    auto r = api_->Handle(op, body);
    Reply out;
    out.status = r.status;
    auto v = ParseJson(r.body);
    EXPECT_TRUE(v.ok() && v->is_object()) << r.body;
    if (v.ok() && v->is_object()) out.body = v->as_object();
    EXPECT_EQ(r.content_type, "application/x-amz-json-1.1");
    return out;
  }

  // Expects a 400 of `type` whose message contains `needle`.
  void ExpectError(const Reply& r, const std::string& type, const std::string& needle) {
    EXPECT_EQ(r.status, 400) << ToJson(r.body);
    EXPECT_EQ(r.type(), type) << ToJson(r.body);
    EXPECT_NE(r.message().find(needle), std::string::npos) << "message: " << r.message() << " (want " << needle << ")";
  }

  json::object GoodConfiguration(const std::string& name) {
    return json::object{{"Name", name},
                        {"RuleSetName", "setup-rules"},
                        {"RequestTimeoutSeconds", 60},
                        {"AcceptanceRequired", false},
                        {"GameSessionQueueArns", json::array{kQueueArn}}};
  }

  json::object Player(const std::string& id, double skill = 1000) {
    return json::object{{"PlayerId", id},
                        {"PlayerAttributes", json::object{{"skill", json::object{{"N", skill}}}}},
                        {"LatencyInMs", json::object{{"custom-a", 20}}}};
  }

  std::filesystem::path dir_;
  ManualClock clock_;
  SeededRandom random_{1};
  Env env_{clock_, random_};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<node::Node> node_;
  std::unique_ptr<ManagementApi> api_;
};

// --- framing ----------------------------------------------------------------------------------

TEST_F(ManagementTest, UnknownOperationAndMalformedBodies) {
  auto r = Call("CreateFleetOfDragons", json::object{});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.type(), "UnknownOperationException");
  EXPECT_NE(r.message().find("GameLift.CreateFleetOfDragons"), std::string::npos);
  EXPECT_FALSE(ManagementApi::Knows("CreateFleetOfDragons"));
  EXPECT_TRUE(ManagementApi::Knows("StartMatchmaking"));

  ExpectError(CallRaw("StartMatchmaking", "{\"ConfigurationName\": "), "InvalidRequestException", "request body");
  ExpectError(CallRaw("StartMatchmaking", "[1,2]"), "InvalidRequestException", "must be a JSON object");
  ExpectError(Call("DescribeMatchmaking", json::object{{"TicketIds", json::array{"a"}}, {"Extra", 1}}),
              "InvalidRequestException", "Extra: unknown field");
  // An empty body is an empty object: the required field is named.
  ExpectError(CallRaw("DescribeMatchmaking", ""), "InvalidRequestException", "TicketIds: is required");
}

// --- rule sets --------------------------------------------------------------------------------

TEST_F(ManagementTest, CreateDescribeAndDeleteRuleSet) {
  auto r = Call("CreateMatchmakingRuleSet", json::object{{"Name", "rs-1"}, {"RuleSetBody", kRules2v2},
                                                         {"Tags", json::array{json::object{{"Key", "team"}, {"Value", "x"}}}}});
  ASSERT_EQ(r.status, 200) << ToJson(r.body);
  const auto& rs = r.body.at("RuleSet").as_object();
  EXPECT_EQ(rs.at("RuleSetName").as_string(), "rs-1");
  EXPECT_EQ(rs.at("RuleSetArn").as_string(), "arn:aws:gamelift:local:000000000000:matchmakingruleset/rs-1");
  EXPECT_EQ(rs.at("RuleSetBody").as_string(), kRules2v2);
  EXPECT_DOUBLE_EQ(rs.at("CreationTime").to_number<double>(), clock_.NowMillis() / 1000.0);

  ExpectError(Call("CreateMatchmakingRuleSet", json::object{{"Name", "rs-1"}, {"RuleSetBody", kRules2v2}}),
              "InvalidRequestException", "already exists");

  auto d = Call("DescribeMatchmakingRuleSets",
                json::object{{"Names", json::array{"arn:aws:gamelift:local:000000000000:matchmakingruleset/rs-1"}}});
  ASSERT_EQ(d.status, 200) << ToJson(d.body);
  ASSERT_EQ(d.body.at("RuleSets").as_array().size(), 1u);
  EXPECT_FALSE(d.body.contains("NextToken"));
  ExpectError(Call("DescribeMatchmakingRuleSets", json::object{{"Names", json::array{"rs-1", "nope"}}}),
              "NotFoundException", "nope");

  EXPECT_EQ(Call("DeleteMatchmakingRuleSet", json::object{{"Name", "rs-1"}}).status, 200);
  ExpectError(Call("DeleteMatchmakingRuleSet", json::object{{"Name", "rs-1"}}), "NotFoundException", "rs-1");
}

TEST_F(ManagementTest, ARuleSetUsedByAnotherNodesConfigurationIsNotDeleted) {
  // A second node on the same store creates a configuration that uses a new rule set.
  auto other_store = store::OpenSqliteStore({(dir_ / "muster.db").string()});
  ASSERT_TRUE(other_store.ok()) << other_store.error().message;
  node::Node other(**other_store, env_);
  ASSERT_TRUE(other.Start(Setup()).ok());
  ManagementApi other_api(other);
  ASSERT_EQ(other_api.Handle("CreateMatchmakingRuleSet",
                             ToJson(json::object{{"Name", "shared-rules"}, {"RuleSetBody", kRules2v2}})).status, 200);
  auto cfg = GoodConfiguration("other-cfg");
  cfg["RuleSetName"] = "shared-rules";
  auto created = other_api.Handle("CreateMatchmakingConfiguration", ToJson(cfg));
  ASSERT_EQ(created.status, 200) << created.body;
  // This node has never loaded that configuration, yet refuses to delete its rule set.
  ExpectError(Call("DeleteMatchmakingRuleSet", json::object{{"Name", "shared-rules"}}),
              "InvalidRequestException", "used by matchmaking configuration 'other-cfg'");
  EXPECT_EQ(Call("DescribeMatchmakingRuleSets", json::object{{"Names", json::array{"shared-rules"}}}).status, 200);
}

TEST_F(ManagementTest, AnUnreadableConfigurationRowKeepsRuleSetsFromBeingDeleted) {
  ASSERT_EQ(Call("CreateMatchmakingRuleSet", json::object{{"Name", "rs-free"}, {"RuleSetBody", kRules2v2}}).status, 200);
  store::Row broken;
  broken.id = "damaged-cfg";
  broken.body = "{\"Name\": ";
  ASSERT_TRUE(store::CommitOne(*store_, store::Write::Insert(store::Table::kConfigurations, broken)).ok());
  // It might use rs-free: the delete is refused, naming the row.
  ExpectError(Call("DeleteMatchmakingRuleSet", json::object{{"Name", "rs-free"}}), "InvalidRequestException",
              "configuration row 'damaged-cfg' cannot be read");
}

TEST_F(ManagementTest, ADamagedStoredTicketDoesNotKeepTheNodeFromStarting) {
  ASSERT_EQ(Call("StartMatchmaking", json::object{{"TicketId", "good"}, {"ConfigurationName", "setup-cfg"},
                                                  {"Players", json::array{Player("p1")}}}).status, 200);
  store::Row broken;
  broken.id = "broken";
  broken.status = "SEARCHING";
  broken.body = "{\"TicketId\": ";  // cut short
  ASSERT_TRUE(store::CommitOne(*store_, store::Write::Insert(store::Table::kTickets, broken)).ok());
  Open();  // a restart reads every searching ticket
  auto d = Call("DescribeMatchmaking", json::object{{"TicketIds", json::array{"good"}}});
  ASSERT_EQ(d.status, 200) << ToJson(d.body);
  ASSERT_EQ(d.body.at("TicketList").as_array().size(), 1u);
  std::string status(d.body.at("TicketList").as_array()[0].at("Status").as_string());
  EXPECT_TRUE(status == "QUEUED" || status == "SEARCHING") << status;
  // The damaged row is left as it was, for inspection.
  auto row = store_->Get(store::Table::kTickets, "broken");
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->body, broken.body);
}

TEST_F(ManagementTest, RuleSetInputIsChecked) {
  ExpectError(Call("CreateMatchmakingRuleSet", json::object{{"Name", "bad name!"}, {"RuleSetBody", kRules2v2}}),
              "InvalidRequestException", "Name: must be 1-128 characters");
  ExpectError(Call("CreateMatchmakingRuleSet", json::object{{"Name", std::string(129, 'a')}, {"RuleSetBody", kRules2v2}}),
              "InvalidRequestException", "Name:");
  ExpectError(Call("CreateMatchmakingRuleSet", json::object{{"Name", 5}, {"RuleSetBody", kRules2v2}}),
              "InvalidRequestException", "Name: must be a string");
  ExpectError(Call("CreateMatchmakingRuleSet", json::object{{"Name", "x"}}), "InvalidRequestException",
              "RuleSetBody: is required");
  ExpectError(Call("CreateMatchmakingRuleSet", json::object{{"Name", "x"}, {"RuleSetBody", std::string(65536, ' ')}}),
              "InvalidRequestException", "RuleSetBody: is longer than 65535");
  ExpectError(Call("CreateMatchmakingRuleSet", json::object{{"Name", "x"}, {"RuleSetBody", "{\"teams\": 3}"}}),
              "InvalidRequestException", "RuleSetBody:");
  ExpectError(Call("CreateMatchmakingRuleSet",
                   json::object{{"Name", "x"}, {"RuleSetBody", kRules2v2}, {"Tags", json::array{json::object{{"Key", ""}}}}}),
              "InvalidRequestException", "Tags[0].Key");
  ExpectError(Call("DeleteMatchmakingRuleSet", json::object{{"Name", "arn:aws:gamelift:local::fleet/x"}}),
              "InvalidRequestException", "Name:");
}

TEST_F(ManagementTest, ValidateRuleSet) {
  auto ok = Call("ValidateMatchmakingRuleSet", json::object{{"RuleSetBody", kRules2v2}});
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body.at("Valid").as_bool(), true);
  auto bad = Call("ValidateMatchmakingRuleSet",
                  json::object{{"RuleSetBody", R"({"ruleLanguageVersion":"1.0","teams":[{"name":"a","minPlayers":3,"maxPlayers":2}]})"}});
  ExpectError(bad, "InvalidRequestException", "RuleSetBody: ");
  ExpectError(Call("ValidateMatchmakingRuleSet", json::object{{"RuleSetBody", "not json"}}), "InvalidRequestException",
              "RuleSetBody: ");
  ExpectError(Call("ValidateMatchmakingRuleSet", json::object{{"RuleSetBody", ""}}), "InvalidRequestException",
              "must not be empty");
}

TEST_F(ManagementTest, DescribeRuleSetsPages) {
  for (const char* n : {"rs-c", "rs-a", "rs-b"}) {
    ASSERT_EQ(Call("CreateMatchmakingRuleSet", json::object{{"Name", n}, {"RuleSetBody", kRules2v2}}).status, 200);
  }
  std::vector<std::string> seen;
  json::object req{{"Limit", 2}};
  for (int i = 0; i < 5; ++i) {
    auto r = Call("DescribeMatchmakingRuleSets", req);
    ASSERT_EQ(r.status, 200) << ToJson(r.body);
    for (const auto& rs : r.body.at("RuleSets").as_array()) seen.emplace_back(rs.at("RuleSetName").as_string());
    if (!r.body.contains("NextToken")) break;
    req["NextToken"] = r.body.at("NextToken");
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"rs-a", "rs-b", "rs-c", "setup-rules"}));
  ExpectError(Call("DescribeMatchmakingRuleSets", json::object{{"Limit", 11}}), "InvalidRequestException",
              "Limit: must be between 1 and 10");
  ExpectError(Call("DescribeMatchmakingRuleSets", json::object{{"Limit", "2"}}), "InvalidRequestException",
              "Limit: must be an integer");
  ExpectError(Call("DescribeMatchmakingRuleSets", json::object{{"Names", json::array{}}}), "InvalidRequestException",
              "Names: must have 1 to 10 entries");
}

// --- configurations ---------------------------------------------------------------------------

TEST_F(ManagementTest, CreateConfigurationWithEveryField) {
  json::object req = GoodConfiguration("cfg-1");
  req["Description"] = "four players";
  req["AcceptanceRequired"] = true;
  req["AcceptanceTimeoutSeconds"] = 30;
  req["NotificationTarget"] = "arn:aws:sns:local:000000000000:topic";
  req["AdditionalPlayerCount"] = 2;
  req["CustomEventData"] = "custom";
  req["GameProperties"] = json::array{json::object{{"Key", "mode"}, {"Value", "ranked"}}};
  req["GameSessionData"] = "data";
  req["BackfillMode"] = "AUTOMATIC";
  req["FlexMatchMode"] = "WITH_QUEUE";
  req["RuleSetName"] = "arn:aws:gamelift:local:000000000000:matchmakingruleset/setup-rules";
  auto r = Call("CreateMatchmakingConfiguration", req);
  ASSERT_EQ(r.status, 200) << ToJson(r.body);
  const auto& c = r.body.at("Configuration").as_object();
  EXPECT_EQ(c.at("Name").as_string(), "cfg-1");
  EXPECT_EQ(c.at("ConfigurationArn").as_string(), "arn:aws:gamelift:local:000000000000:matchmakingconfiguration/cfg-1");
  EXPECT_EQ(c.at("RuleSetName").as_string(), "setup-rules");
  EXPECT_EQ(c.at("RuleSetArn").as_string(), "arn:aws:gamelift:local:000000000000:matchmakingruleset/setup-rules");
  EXPECT_EQ(c.at("GameSessionQueueArns").as_array().at(0).as_string(), kQueueArn);
  EXPECT_EQ(c.at("RequestTimeoutSeconds").as_int64(), 60);
  EXPECT_EQ(c.at("AcceptanceRequired").as_bool(), true);
  EXPECT_EQ(c.at("AcceptanceTimeoutSeconds").as_int64(), 30);
  EXPECT_EQ(c.at("Description").as_string(), "four players");
  EXPECT_EQ(c.at("NotificationTarget").as_string(), "arn:aws:sns:local:000000000000:topic");
  EXPECT_EQ(c.at("AdditionalPlayerCount").as_int64(), 2);
  EXPECT_EQ(c.at("CustomEventData").as_string(), "custom");
  EXPECT_EQ(c.at("GameSessionData").as_string(), "data");
  EXPECT_EQ(c.at("GameProperties").as_array().at(0).at("Value").as_string(), "ranked");
  EXPECT_EQ(c.at("BackfillMode").as_string(), "AUTOMATIC");
  EXPECT_EQ(c.at("FlexMatchMode").as_string(), "WITH_QUEUE");

  // Every field survives a restart: the row holds the whole spec.
  Open();
  auto d = Call("DescribeMatchmakingConfigurations", json::object{{"Names", json::array{"cfg-1"}}});
  ASSERT_EQ(d.status, 200);
  ASSERT_EQ(d.body.at("Configurations").as_array().size(), 1u);
  EXPECT_EQ(ToJson(d.body.at("Configurations").as_array().at(0)), ToJson(c));
}

TEST_F(ManagementTest, ConfigurationLimitsNameTheField) {
  auto with = [&](const char* key, json::value v) {
    json::object req = GoodConfiguration("cfg-x");
    req[key] = std::move(v);
    return Call("CreateMatchmakingConfiguration", req);
  };
  ExpectError(with("RequestTimeoutSeconds", 0), "InvalidRequestException", "RequestTimeoutSeconds: must be between 1 and 43200");
  ExpectError(with("RequestTimeoutSeconds", 43201), "InvalidRequestException", "RequestTimeoutSeconds");
  ExpectError(with("RequestTimeoutSeconds", 1.5), "InvalidRequestException", "RequestTimeoutSeconds: must be an integer");
  ExpectError(with("AcceptanceTimeoutSeconds", 601), "InvalidRequestException", "AcceptanceTimeoutSeconds");
  ExpectError(with("AcceptanceRequired", "yes"), "InvalidRequestException", "AcceptanceRequired: must be a boolean");
  ExpectError(with("AcceptanceRequired", true), "InvalidRequestException", "AcceptanceTimeoutSeconds");
  ExpectError(with("CustomEventData", json::string(std::string(257, 'x'))), "InvalidRequestException", "CustomEventData");
  ExpectError(with("GameSessionData", json::string(std::string(4097, 'x'))), "InvalidRequestException", "GameSessionData");
  json::array props;
  for (int i = 0; i < 17; ++i) props.push_back(json::object{{"Key", "k" + std::to_string(i)}, {"Value", "v"}});
  ExpectError(with("GameProperties", props), "InvalidRequestException", "GameProperties: at most 16");
  ExpectError(with("GameProperties", json::array{json::object{{"Key", std::string(33, 'k')}, {"Value", "v"}}}),
              "InvalidRequestException", "GameProperties[0].Key");
  ExpectError(with("BackfillMode", "SOMETIMES"), "InvalidRequestException", "BackfillMode: must be one of AUTOMATIC|MANUAL");
  ExpectError(with("FlexMatchMode", "SOLO"), "InvalidRequestException", "FlexMatchMode");
  ExpectError(with("AdditionalPlayerCount", -1), "InvalidRequestException", "AdditionalPlayerCount");
  ExpectError(with("GameSessionQueueArns", json::array{"bad queue"}), "InvalidRequestException", "GameSessionQueueArns[0]");
  ExpectError(with("GameSessionQueueArns", json::array{}), "InvalidRequestException", "GameSessionQueueArns: is required");
  ExpectError(with("Name", "no spaces"), "InvalidRequestException", "Name:");
  ExpectError(with("Colour", "blue"), "InvalidRequestException", "Colour: unknown field");
  // References to definitions that do not exist.
  ExpectError(with("RuleSetName", "missing-rules"), "NotFoundException", "missing-rules");
  ExpectError(with("GameSessionQueueArns", json::array{"arn:aws:gamelift:local:000000000000:gamesessionqueue/q9"}),
              "NotFoundException", "q9");
  // STANDALONE needs no queue, but has no automatic backfill.
  json::object standalone = GoodConfiguration("cfg-solo");
  standalone.erase("GameSessionQueueArns");
  standalone["FlexMatchMode"] = "STANDALONE";
  EXPECT_EQ(Call("CreateMatchmakingConfiguration", standalone).status, 200);
  standalone["Name"] = "cfg-solo-2";
  standalone["BackfillMode"] = "AUTOMATIC";
  ExpectError(Call("CreateMatchmakingConfiguration", standalone), "InvalidRequestException", "BackfillMode");
  // A taken name.
  ExpectError(Call("CreateMatchmakingConfiguration", GoodConfiguration("setup-cfg")), "InvalidRequestException",
              "already exists");
  json::object missing = GoodConfiguration("cfg-y");
  missing.erase("RequestTimeoutSeconds");
  ExpectError(Call("CreateMatchmakingConfiguration", missing), "InvalidRequestException", "RequestTimeoutSeconds: is required");
}

TEST_F(ManagementTest, DescribeConfigurationsFiltersAndPages) {
  ASSERT_EQ(Call("CreateMatchmakingRuleSet", json::object{{"Name", "other"}, {"RuleSetBody", kRules2v2}}).status, 200);
  for (const char* n : {"c-1", "c-2", "c-3"}) {
    json::object req = GoodConfiguration(n);
    if (std::string(n) == "c-2") req["RuleSetName"] = "other";
    ASSERT_EQ(Call("CreateMatchmakingConfiguration", req).status, 200);
  }
  auto by_names = Call("DescribeMatchmakingConfigurations",
                       json::object{{"Names", json::array{"c-3", "nope", "arn:aws:gamelift:local:000000000000:matchmakingconfiguration/c-1"}}});
  ASSERT_EQ(by_names.status, 200);
  const auto& list = by_names.body.at("Configurations").as_array();
  ASSERT_EQ(list.size(), 2u);  // only the ones that exist
  EXPECT_EQ(list[0].at("Name").as_string(), "c-1");
  EXPECT_EQ(list[1].at("Name").as_string(), "c-3");

  auto by_rules = Call("DescribeMatchmakingConfigurations", json::object{{"RuleSetName", "other"}});
  ASSERT_EQ(by_rules.body.at("Configurations").as_array().size(), 1u);
  EXPECT_EQ(by_rules.body.at("Configurations").as_array()[0].at("Name").as_string(), "c-2");

  std::vector<std::string> seen;
  json::object req{{"Limit", 3}};
  for (int i = 0; i < 5; ++i) {
    auto r = Call("DescribeMatchmakingConfigurations", req);
    ASSERT_EQ(r.status, 200) << ToJson(r.body);
    for (const auto& c : r.body.at("Configurations").as_array()) seen.emplace_back(c.at("Name").as_string());
    if (!r.body.contains("NextToken")) break;
    req["NextToken"] = r.body.at("NextToken");
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"c-1", "c-2", "c-3", "setup-cfg"}));
}

TEST_F(ManagementTest, UpdateConfigurationMergesFields) {
  ASSERT_EQ(Call("CreateMatchmakingConfiguration", GoodConfiguration("cfg-u")).status, 200);
  ASSERT_EQ(Call("CreateMatchmakingRuleSet", json::object{{"Name", "rules-2"}, {"RuleSetBody", kRules2v2}}).status, 200);
  auto r = Call("UpdateMatchmakingConfiguration",
                json::object{{"Name", "arn:aws:gamelift:local:000000000000:matchmakingconfiguration/cfg-u"},
                             {"RequestTimeoutSeconds", 300}, {"RuleSetName", "rules-2"}, {"CustomEventData", "v2"}});
  ASSERT_EQ(r.status, 200) << ToJson(r.body);
  const auto& c = r.body.at("Configuration").as_object();
  EXPECT_EQ(c.at("RequestTimeoutSeconds").as_int64(), 300);
  EXPECT_EQ(c.at("RuleSetName").as_string(), "rules-2");
  EXPECT_EQ(c.at("CustomEventData").as_string(), "v2");
  EXPECT_EQ(c.at("GameSessionQueueArns").as_array().at(0).as_string(), kQueueArn);  // kept
  // The old rule set is free now, the new one is in use.
  EXPECT_EQ(Call("DeleteMatchmakingRuleSet", json::object{{"Name", "rules-2"}}).type(), "InvalidRequestException");

  ExpectError(Call("UpdateMatchmakingConfiguration", json::object{{"Name", "ghost"}, {"RequestTimeoutSeconds", 5}}),
              "NotFoundException", "ghost");
  // A malformed field is reported before the unknown name.
  ExpectError(Call("UpdateMatchmakingConfiguration", json::object{{"Name", "ghost"}, {"RequestTimeoutSeconds", 0}}),
              "InvalidRequestException", "RequestTimeoutSeconds");
  ExpectError(Call("UpdateMatchmakingConfiguration", json::object{{"Name", "cfg-u"}, {"Tags", json::array{}}}),
              "InvalidRequestException", "Tags: unknown field");
  ExpectError(Call("UpdateMatchmakingConfiguration", json::object{{"Name", "cfg-u"}, {"RuleSetName", "gone"}}),
              "NotFoundException", "gone");
  // The stored row follows the update.
  Open();
  auto d = Call("DescribeMatchmakingConfigurations", json::object{{"Names", json::array{"cfg-u"}}});
  EXPECT_EQ(d.body.at("Configurations").as_array().at(0).at("RequestTimeoutSeconds").as_int64(), 300);
}

TEST_F(ManagementTest, RuleSetInUseIsRefusedUntilItsConfigurationIsDeleted) {
  ASSERT_EQ(Call("CreateMatchmakingRuleSet", json::object{{"Name", "rs-used"}, {"RuleSetBody", kRules2v2}}).status, 200);
  json::object req = GoodConfiguration("cfg-d");
  req["RuleSetName"] = "rs-used";
  ASSERT_EQ(Call("CreateMatchmakingConfiguration", req).status, 200);
  ExpectError(Call("DeleteMatchmakingRuleSet", json::object{{"Name", "rs-used"}}), "InvalidRequestException",
              "used by matchmaking configuration 'cfg-d'");
  EXPECT_EQ(Call("DeleteMatchmakingConfiguration", json::object{{"Name", "cfg-d"}}).status, 200);
  ExpectError(Call("DeleteMatchmakingConfiguration", json::object{{"Name", "cfg-d"}}), "NotFoundException", "cfg-d");
  EXPECT_EQ(Call("DeleteMatchmakingRuleSet", json::object{{"Name", "rs-used"}}).status, 200);
  // Deleted definitions stay deleted after a restart.
  Open();
  EXPECT_EQ(Call("DescribeMatchmakingConfigurations", json::object{{"Names", json::array{"cfg-d"}}})
                .body.at("Configurations").as_array().size(), 0u);
  ExpectError(Call("DescribeMatchmakingRuleSets", json::object{{"Names", json::array{"rs-used"}}}), "NotFoundException",
              "rs-used");
}

TEST_F(ManagementTest, SetUpWinsForItsOwnNames) {
  // An update of a set-up configuration lasts until the next start, where the set-up applies again.
  ASSERT_EQ(Call("UpdateMatchmakingConfiguration", json::object{{"Name", "setup-cfg"}, {"RequestTimeoutSeconds", 77}}).status, 200);
  ASSERT_EQ(Call("CreateMatchmakingConfiguration", GoodConfiguration("api-cfg")).status, 200);
  Open();
  auto d = Call("DescribeMatchmakingConfigurations", json::object{});
  const auto& list = d.body.at("Configurations").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].at("Name").as_string(), "api-cfg");
  EXPECT_EQ(list[1].at("Name").as_string(), "setup-cfg");
  EXPECT_EQ(list[1].at("RequestTimeoutSeconds").as_int64(), 120);
}

// --- tickets ----------------------------------------------------------------------------------

TEST_F(ManagementTest, StartDescribeAndStopMatchmaking) {
  auto r = Call("StartMatchmaking",
                json::object{{"TicketId", "t-1"},
                             {"ConfigurationName", "arn:aws:gamelift:local:000000000000:matchmakingconfiguration/setup-cfg"},
                             {"Players", json::array{Player("p1"), Player("p2")}}});
  ASSERT_EQ(r.status, 200) << ToJson(r.body);
  const auto& t = r.body.at("MatchmakingTicket").as_object();
  EXPECT_EQ(t.at("TicketId").as_string(), "t-1");
  EXPECT_EQ(t.at("ConfigurationName").as_string(), "setup-cfg");
  EXPECT_EQ(t.at("ConfigurationArn").as_string(), "arn:aws:gamelift:local:000000000000:matchmakingconfiguration/setup-cfg");
  EXPECT_EQ(t.at("Status").as_string(), "QUEUED");
  EXPECT_EQ(t.at("Players").as_array().size(), 2u);

  // A generated id when none is given.
  auto g = Call("StartMatchmaking", json::object{{"ConfigurationName", "setup-cfg"}, {"Players", json::array{Player("p3")}}});
  ASSERT_EQ(g.status, 200) << ToJson(g.body);
  std::string generated(g.body.at("MatchmakingTicket").at("TicketId").as_string());
  EXPECT_FALSE(generated.empty());

  ExpectError(Call("StartMatchmaking", json::object{{"TicketId", "t-1"}, {"ConfigurationName", "setup-cfg"},
                                                    {"Players", json::array{Player("p9")}}}),
              "InvalidRequestException", "t-1");

  auto d = Call("DescribeMatchmaking", json::object{{"TicketIds", json::array{"t-1", "unknown", generated}}});
  ASSERT_EQ(d.status, 200);
  const auto& list = d.body.at("TicketList").as_array();
  ASSERT_EQ(list.size(), 2u);  // unknown ids are left out
  EXPECT_EQ(list[0].at("TicketId").as_string(), "t-1");
  EXPECT_EQ(list[1].at("TicketId").as_string(), generated);

  EXPECT_EQ(Call("StopMatchmaking", json::object{{"TicketId", "t-1"}}).status, 200);
  d = Call("DescribeMatchmaking", json::object{{"TicketIds", json::array{"t-1"}}});
  EXPECT_EQ(d.body.at("TicketList").as_array().at(0).at("Status").as_string(), "CANCELLED");
  ExpectError(Call("StopMatchmaking", json::object{{"TicketId", "never"}}), "NotFoundException", "never");
  ExpectError(Call("StartMatchmaking", json::object{{"ConfigurationName", "no-such"}, {"Players", json::array{Player("p5")}}}),
              "NotFoundException", "no-such");
}

TEST_F(ManagementTest, PlayersAreChecked) {
  auto start = [&](json::array players) {
    return Call("StartMatchmaking", json::object{{"ConfigurationName", "setup-cfg"}, {"Players", std::move(players)}});
  };
  json::array eleven;
  for (int i = 0; i < 11; ++i) eleven.push_back(Player("p" + std::to_string(i)));
  ExpectError(start(eleven), "InvalidRequestException", "Players: at most 10 players");
  ExpectError(start(json::array{}), "InvalidRequestException", "Players: needs at least one player");
  ExpectError(start(json::array{Player("dup"), Player("dup")}), "InvalidRequestException", "Players[1].PlayerId");
  json::object bad_attr = Player("p1");
  bad_attr["PlayerAttributes"] = json::object{{"skill", json::object{{"X", 1}}}};
  ExpectError(start(json::array{bad_attr}), "InvalidRequestException", "Players[0].PlayerAttributes.skill");
  json::object bad_lat = Player("p1");
  bad_lat["LatencyInMs"] = json::object{{"custom-a", 0}};
  ExpectError(start(json::array{bad_lat}), "InvalidRequestException", "Players[0].LatencyInMs.custom-a");
  bad_lat["LatencyInMs"] = json::object{{"custom-a", "20"}};
  ExpectError(start(json::array{bad_lat}), "InvalidRequestException", "Players[0].LatencyInMs.custom-a");
  json::object many_attrs = Player("p1");
  json::object attrs;
  for (int i = 0; i < 11; ++i) attrs["a" + std::to_string(i)] = json::object{{"N", i}};
  many_attrs["PlayerAttributes"] = attrs;
  ExpectError(start(json::array{many_attrs}), "InvalidRequestException", "at most 10 attributes");
  json::object extra = Player("p1");
  extra["Skill"] = 5;
  ExpectError(start(json::array{extra}), "InvalidRequestException", "Players[0].Skill: unknown field");
  ExpectError(start(json::array{json::object{{"PlayerId", ""}}}), "InvalidRequestException", "Players[0].PlayerId");
  ExpectError(Call("StartMatchmaking", json::object{{"ConfigurationName", "setup-cfg"}}), "InvalidRequestException",
              "Players: is required");
  ExpectError(Call("StartMatchmaking", json::object{{"TicketId", "has space"}, {"ConfigurationName", "setup-cfg"},
                                                    {"Players", json::array{Player("p1")}}}),
              "InvalidRequestException", "TicketId");
}

TEST_F(ManagementTest, DescribeMatchmakingLimits) {
  json::array eleven;
  for (int i = 0; i < 11; ++i) eleven.push_back(json::string("t" + std::to_string(i)));
  ExpectError(Call("DescribeMatchmaking", json::object{{"TicketIds", eleven}}), "InvalidRequestException",
              "TicketIds: must have 1 to 10 entries");
  ExpectError(Call("DescribeMatchmaking", json::object{{"TicketIds", json::array{}}}), "InvalidRequestException",
              "TicketIds");
  ExpectError(Call("DescribeMatchmaking", json::object{{"TicketIds", json::array{5}}}), "InvalidRequestException",
              "TicketIds[0]");
}

TEST_F(ManagementTest, DeletingAConfigurationFailsItsLiveTickets) {
  ASSERT_EQ(Call("CreateMatchmakingConfiguration", GoodConfiguration("cfg-t")).status, 200);
  ASSERT_EQ(Call("StartMatchmaking", json::object{{"TicketId", "t-live"}, {"ConfigurationName", "cfg-t"},
                                                  {"Players", json::array{Player("p1")}}}).status, 200);
  EXPECT_EQ(Call("DeleteMatchmakingConfiguration", json::object{{"Name", "cfg-t"}}).status, 200);
  auto d = Call("DescribeMatchmaking", json::object{{"TicketIds", json::array{"t-live"}}});
  EXPECT_EQ(d.body.at("TicketList").as_array().at(0).at("Status").as_string(), "FAILED");
}

TEST_F(ManagementTest, AcceptAndBackfillRequestsAreChecked) {
  ExpectError(Call("AcceptMatch", json::object{{"TicketId", "t"}, {"PlayerIds", json::array{"p1"}}, {"AcceptanceType", "MAYBE"}}),
              "InvalidRequestException", "AcceptanceType: must be ACCEPT or REJECT");
  ExpectError(Call("AcceptMatch", json::object{{"TicketId", "t"}, {"AcceptanceType", "ACCEPT"}}),
              "InvalidRequestException", "PlayerIds: is required");
  ExpectError(Call("AcceptMatch", json::object{{"TicketId", "t"}, {"PlayerIds", json::array{""}}, {"AcceptanceType", "ACCEPT"}}),
              "InvalidRequestException", "PlayerIds[0]");
  ExpectError(Call("AcceptMatch", json::object{{"PlayerIds", json::array{"p"}}, {"AcceptanceType", "ACCEPT"}}),
              "InvalidRequestException", "TicketId: is required");

  json::object no_team = Player("p1");
  ExpectError(Call("StartMatchBackfill", json::object{{"ConfigurationName", "setup-cfg"},
                                                      {"GameSessionArn", "arn:aws:gamelift:local::gamesession/f1/gs-1"},
                                                      {"Players", json::array{no_team}}}),
              "InvalidRequestException", "Players[0].Team: is required");
  json::object with_team = Player("p1");
  with_team["Team"] = "red";
  ExpectError(Call("StartMatchBackfill", json::object{{"ConfigurationName", "setup-cfg"}, {"GameSessionArn", "bad arn!"},
                                                      {"Players", json::array{with_team}}}),
              "InvalidRequestException", "GameSessionArn");
  ExpectError(Call("StartMatchBackfill", json::object{{"GameSessionArn", "arn:aws:gamelift:local::gamesession/f1/gs-1"},
                                                      {"Players", json::array{with_team}}}),
              "InvalidRequestException", "ConfigurationName: is required");
  ExpectError(Call("StopMatchBackfill", json::object{}), "InvalidRequestException", "TicketId: is required");
  ExpectError(Call("StopMatchBackfill", json::object{{"TicketId", ""}}), "InvalidRequestException", "TicketId");
}

// --- codec ------------------------------------------------------------------------------------

TEST(ManagementCodec, NamesAndArns) {
  EXPECT_TRUE(ValidName("demo-2v2.v1", 128));
  EXPECT_FALSE(ValidName("", 128));
  EXPECT_FALSE(ValidName("a b", 128));
  EXPECT_FALSE(ValidName(std::string(129, 'a'), 128));
  EXPECT_FALSE(ValidName("arn:aws:gamelift:local::matchmakingruleset/x", 256));
  EXPECT_TRUE(ValidName("arn:aws:gamelift:local::matchmakingruleset/x", 256, "matchmakingruleset"));
  EXPECT_FALSE(ValidName("arn:aws:gamelift:local::matchmakingruleset/x y", 256, "matchmakingruleset"));
  EXPECT_EQ(NameFromArn("arn:aws:gamelift:local:1:matchmakingconfiguration/c", "matchmakingconfiguration"), "c");
  EXPECT_EQ(NameFromArn("c", "matchmakingconfiguration"), "c");
  EXPECT_TRUE(ValidResourceRef("arn:aws:gamelift:local::gamesession/f1/gs_1", 256));
  EXPECT_FALSE(ValidResourceRef("", 256));
  EXPECT_FALSE(ValidResourceRef("a b", 256));
}

TEST(ManagementCodec, ErrorTypes) {
  EXPECT_STREQ(AwsErrorType(ErrorCode::kNotFound), "NotFoundException");
  EXPECT_STREQ(AwsErrorType(ErrorCode::kConflict), "InvalidRequestException");
  EXPECT_STREQ(AwsErrorType(ErrorCode::kLimitExceeded), "LimitExceededException");
  EXPECT_STREQ(AwsErrorType(ErrorCode::kUnauthorized), "UnauthorizedException");
  EXPECT_STREQ(AwsErrorType(ErrorCode::kInternal), "InternalServiceException");
  EXPECT_EQ(AwsErrorStatus(ErrorCode::kInternal), 500);
  EXPECT_EQ(AwsErrorStatus(ErrorCode::kNotFound), 400);
}

}  // namespace
}  // namespace muster::api
