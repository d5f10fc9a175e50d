#pragma once
// The node's matchmaking definitions: rule sets and configurations, from the set-up (musterd flags
// or TOML) and from the management API. Both are durable rows (kRuleSets, kConfigurations), so a
// restart brings back every definition; the set-up wins for the names it defines. A change is
// checked, committed, and only then put in memory: its failure is reported and changes nothing.
//
// Thread safety: a part of the Node (node.h); runs on the matchmaking shard's owner thread
// (Node::RunOnMatchmaking; the node's thread with one shard), except ConfigurationArn (any
// thread).

#include <string>
#include <vector>

#include "common/result.h"
#include "core/effects.h"
#include "matchmaking/lifecycle.h"

namespace muster::node {

class Node;
struct NodeSetup;

// A rule set as stored and described by the management API.
struct RuleSetRecord {
  std::string name;
  std::string arn;
  std::string body;
  Millis creation_time = 0;
};

class Definitions {
 public:
  explicit Definitions(Node& node) : node_(node) {}

  Result<RuleSetRecord> CreateRuleSet(const std::string& name, const std::string& body);
  std::vector<RuleSetRecord> ListRuleSets() const;
  Result<RuleSetRecord> FindRuleSet(const std::string& name_or_arn) const;
  // kConflict while a configuration uses it.
  Status DeleteRuleSet(const std::string& name_or_arn);
  // Validates (rule set exists, queue exists unless STANDALONE, limits of WIRE §2) and stores.
  Result<matchmaking::ConfigurationSpec> CreateConfiguration(matchmaking::ConfigurationSpec spec);
  // Replaces an existing configuration (the caller merges the fields it changes).
  Result<matchmaking::ConfigurationSpec> UpdateConfiguration(matchmaking::ConfigurationSpec spec);
  std::vector<matchmaking::ConfigurationSpec> ListConfigurations() const;
  // Live tickets of the configuration end FAILED with their events.
  Status DeleteConfiguration(const std::string& name_or_arn);
  // Safe from any thread (the region and account are fixed at Start).
  std::string ConfigurationArn(const std::string& configuration) const;

 private:
  friend class Node;
  // Rule sets and configurations from the set-up and the store, into memory and `fx` (start and
  // reload).
  Status SetUp(const NodeSetup& setup, core::Effects* fx);
  // Puts a configuration whose row just committed into memory.
  Result<matchmaking::ConfigurationSpec> PutCommitted(matchmaking::ConfigurationSpec spec);

  Node& node_;
};

}  // namespace muster::node
