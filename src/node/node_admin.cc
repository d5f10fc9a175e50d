#include "node/node.h"

// Matchmaking definitions of a node: rule sets and configurations (set-up and management API).

namespace muster::node {

Status Node::SetUpDefinitions(const NodeSetup& setup, core::Effects* out) {
  core::Effects& fx = *out;
  std::map<std::string, std::shared_ptr<const matchmaking::RuleSet>> rule_sets;
  for (const auto& rs : setup.rule_sets) {
    auto parsed = matchmaking::ParseRuleSet(rs.body);
    if (!parsed.ok()) {
      return Error::InvalidArgument("rule set '" + rs.name + "': " + parsed.error().message);
    }
    rule_sets[rs.name] = std::move(parsed).value();
    store::Row row{rs.name, "", "", ToJson(json::object{{"RuleSetName", rs.name},
                                                        {"RuleSetBody", rs.body},
                                                        {"CreationTime", clock_.NowMillis()}}),
                   0, clock_.NowMillis()};
    fx.writes.push_back(store::Write::Upsert(store::Table::kRuleSets, std::move(row)));
  }
  for (matchmaking::ConfigurationSpec spec : setup.configurations) {
    auto it = rule_sets.find(spec.rule_set_name);
    if (it == rule_sets.end()) {
      return Error::InvalidArgument("configuration '" + spec.name + "': rule set '" +
                                    spec.rule_set_name + "' is not defined");
    }
    spec.rule_set = it->second;
    if (spec.arn.empty()) spec.arn = ConfigurationArn(spec.name);
    store::Row row{spec.name, "", "", ToJson(json::object{{"Name", spec.name},
                                                          {"ConfigurationArn", spec.arn},
                                                          {"RuleSetName", spec.rule_set_name},
                                                          {"GameSessionQueueName", spec.queue_name},
                                                          {"RequestTimeoutSeconds", spec.request_timeout_ms / 1000}}),
                   0, clock_.NowMillis()};
    fx.writes.push_back(store::Write::Upsert(store::Table::kConfigurations, std::move(row)));
    auto st = matchmaking_->PutConfiguration(std::move(spec));
    if (!st.ok()) return Error::InvalidArgument("configuration: " + st.error().message);
  }
  return OkStatus();
}

}  // namespace muster::node
