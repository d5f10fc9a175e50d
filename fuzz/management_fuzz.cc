// libFuzzer target for the management API's JSON bodies (every GameLift operation it knows, and
// unknown ones), handled end to end by a real Node over a real SQLite store: parsing, validation
// with field paths, and the node's own checks and writes.
//
// Input layout: byte 0 picks the operation; the rest is the request body. Must never crash or
// throw; every answer is a JSON object, and a bad input is a 4xx with a __type, never a 500.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "api/management.h"
#include "common/json.h"
#include "fuzz_store.h"
#include "node/node.h"

namespace {

using namespace muster;  // NOLINT

constexpr std::string_view kOps[] = {
    "CreateMatchmakingRuleSet", "ValidateMatchmakingRuleSet", "DescribeMatchmakingRuleSets",
    "DeleteMatchmakingRuleSet", "CreateMatchmakingConfiguration",
    "DescribeMatchmakingConfigurations", "UpdateMatchmakingConfiguration",
    "DeleteMatchmakingConfiguration", "StartMatchmaking", "DescribeMatchmaking",
    "StopMatchmaking", "AcceptMatch", "StartMatchBackfill", "StopMatchBackfill",
    "DescribeFleetAttributes", ""};

constexpr const char* kRules = R"({
  "name": "f2v2", "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2}, {"name": "blue", "minPlayers": 2, "maxPlayers": 2}],
  "rules": [{"name": "Band", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 500}]
})";

node::NodeSetup Setup() {
  node::NodeSetup s;
  node::FleetSetup f;
  f.fleet_id = "f1";
  f.locations = {"custom-a"};
  f.computes.push_back({"f1", "c1", "custom-a", "127.0.0.1", "", "token", 0});
  s.fleets.push_back(f);
  placement::QueueConfig q;
  q.name = "q1";
  q.arn = "arn:aws:gamelift:local:000000000000:gamesessionqueue/q1";
  q.fleets = {"f1"};
  s.queues.push_back(q);
  s.rule_sets.push_back({"setup-rules", kRules});
  matchmaking::ConfigurationSpec spec;
  spec.name = "setup-cfg";
  spec.rule_set_name = "setup-rules";
  spec.queue_name = "q1";
  s.configurations.push_back(spec);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzzing::FuzzStore store("management", 500);
  static ManualClock clock;
  static SeededRandom random(1);
  static const Env env{clock, random};
  static std::unique_ptr<node::Node> node;
  static std::unique_ptr<api::ManagementApi> api;
  if (store.Tick() || !node) {
    api.reset();
    node = std::make_unique<node::Node>(*store, env);
    if (!node->Start(Setup()).ok()) __builtin_trap();
    api = std::make_unique<api::ManagementApi>(*node);
  }
  if (size < 1) return 0;
  std::string_view op = kOps[data[0] % std::size(kOps)];
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  clock.Advance(1000);
  try {
    net::HttpResponse r = api->Handle(op, body);
    auto parsed = ParseJson(r.body);
    if (!parsed.ok() || !parsed->is_object()) __builtin_trap();
    if (r.status >= 500) __builtin_trap();
    if (r.status != 200 && !parsed->as_object().contains("__type")) __builtin_trap();
  } catch (...) {
    __builtin_trap();
  }
  return 0;
}
