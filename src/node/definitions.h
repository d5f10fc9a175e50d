#pragma once
// The node's matchmaking definitions: rule sets and configurations, from the set-up (musterd flags
// or TOML) and from the management API. Both are durable rows (kRuleSets, kConfigurations), so a
// restart brings back every definition; the set-up wins for the names it defines. A change is
// checked, committed, and only then put in memory: its failure is reported and changes nothing.
//
// Each configuration lives in the core of the matchmaking side that owns it (Node::MatchmakingSideOf);
// a catalogue of every side's configurations answers the lists and lookups.
//
// Thread safety: a part of the Node (node.h). An operation on a configuration runs on the owner
// thread of its side (Node::RunOnConfiguration), the rule sets' on any side's
// (Node::RunOnDefinitions); changes are serialized over the sides by one lock held through their
// commit (definitions are few and rarely change), so a rule set is never deleted while a
// configuration on another side starts using it. ConfigurationArn, ListConfigurations and
// FindConfiguration: any thread.

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
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
  // A configuration as put in its side's core (name or ARN); nullopt when there is none.
  std::optional<matchmaking::ConfigurationSpec> FindConfiguration(const std::string& name_or_arn) const;
  // Live tickets of the configuration end FAILED with their events.
  Status DeleteConfiguration(const std::string& name_or_arn);
  // Safe from any thread (the region and account are fixed at Start).
  std::string ConfigurationArn(const std::string& configuration) const;

 private:
  friend class Node;
  // Rule sets and configurations from the set-up and the store, into memory and `fx` (start and
  // reload).
  // One matchmaking side's: the configurations it owns (the rule sets' rows are written by side 0).
  Status SetUp(std::size_t side, const NodeSetup& setup, core::Effects* fx);
  // Puts a configuration whose row just committed into its side's memory.
  Result<matchmaking::ConfigurationSpec> PutCommitted(std::size_t side, matchmaking::ConfigurationSpec spec);
  void Catalogue(std::size_t side, const matchmaking::ConfigurationSpec& spec);

  struct Catalogued {
    std::size_t side = 0;
    matchmaking::ConfigurationSpec spec;
  };
  Node& node_;
  std::mutex changes_mu_;  // held through a change of definitions, on whichever side it runs
  mutable std::mutex catalog_mu_;
  std::map<std::string, Catalogued> catalog_;  // GUARDED_BY(catalog_mu_), by name
};

}  // namespace muster::node
